//! The 2021 supporter rule at intake (DOMAIN §4.11, 民发〔2021〕43号 Art. 8): `has_capable_supporter` of each member
//! is computed from the other members and the obliged supporters living elsewhere that the form lists, never ticked
//! by hand, and the application keeps every supporter's verdict with its reasons.

use crate::app::{AppError, AppResult};
use crate::args;
use crate::storage::Db;
use crate::storage::persons::PersonRow;
use chrono::NaiveDate;
use minzheng_domain::assistance::{
    Household, RegisterFacts, Standards, SupporterElsewhere, SupporterFacts, capable_supporter_2021,
};
use minzheng_domain::idnumber::IdNumber;
use minzheng_domain::money::Fen;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;

/// At most this many supporters living elsewhere on one application.
pub const MAX_ELSEWHERE: usize = 10;

/// An obliged supporter (法定赡养、抚养、扶养义务人) who does not live in the household, as the intake form lists them.
/// With an identity number the age is read from it and whether the person is a tekun person or a dibao recipient
/// from the live cases; without one, `age` is required and the flags are as declared.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SupporterInput {
    /// How the form names them, e.g. "长子 张某".
    pub name: String,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub age: Option<u32>,
    /// Own monthly income in yuan, e.g. "2500.00".
    #[serde(default)]
    pub monthly_income: String,
    #[serde(default)]
    pub is_tekun: bool,
    #[serde(default)]
    pub is_dibao_recipient: bool,
    /// Disability grade 1–2.
    #[serde(default)]
    pub severely_disabled: bool,
    #[serde(default)]
    pub intellectual_or_mental_grade_3: bool,
    #[serde(default)]
    pub seriously_ill: bool,
    #[serde(default)]
    pub lacks_civil_capacity: bool,
    #[serde(default)]
    pub missing: bool,
    #[serde(default)]
    pub in_prison: bool,
}

/// Validates the supporters living elsewhere; every problem names its field.
fn facts_of(
    inputs: &[SupporterInput],
    today: NaiveDate,
) -> AppResult<Vec<(SupporterInput, SupporterFacts, Option<IdNumber>)>> {
    if inputs.len() > MAX_ELSEWHERE {
        return Err(AppError::invalid(
            "supporters_elsewhere",
            format!("不在本户的法定义务人最多填写{MAX_ELSEWHERE}人"),
        ));
    }
    let mut out = Vec::new();
    for (i, s) in inputs.iter().enumerate() {
        let f = |name: &str| format!("supporters_elsewhere[{i}].{name}");
        let name = s.name.trim();
        if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
            return Err(AppError::invalid(
                &f("name"),
                "须填写义务人的称谓和姓名（40字以内），如“长子 张某”",
            ));
        }
        let id =
            match s
                .id_number
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
            {
                Some(t) => Some(IdNumber::parse(t, today).map_err(|e| {
                    AppError::invalid(&f("id_number"), format!("身份证号码无效：{e}"))
                })?),
                None => None,
            };
        let age = match (&id, s.age) {
            (Some(n), _) => n.age_on(today),
            (None, Some(a)) if a <= 130 => a,
            (None, Some(_)) => return Err(AppError::invalid(&f("age"), "年龄应在0–130岁之间")),
            (None, None) => {
                return Err(AppError::invalid(
                    &f("age"),
                    "未填身份证号码时须填写义务人的年龄",
                ));
            }
        };
        let income = match s.monthly_income.trim() {
            "" => Fen(0),
            t => Fen::parse_yuan(t)
                .ok()
                .filter(|v| v.0 >= 0)
                .ok_or_else(|| {
                    AppError::invalid(
                        &f("monthly_income"),
                        "月收入应为不小于0的金额（元），如 2500.00",
                    )
                })?,
        };
        out.push((
            SupporterInput {
                name: name.to_string(),
                ..s.clone()
            },
            SupporterFacts {
                age,
                is_tekun: s.is_tekun,
                is_dibao_recipient: s.is_dibao_recipient,
                severely_disabled: s.severely_disabled,
                intellectual_or_mental_grade_3: s.intellectual_or_mental_grade_3,
                seriously_ill: s.seriously_ill,
                own_monthly_income: income,
                lacks_civil_capacity: s.lacks_civil_capacity,
                missing: s.missing,
                in_prison: s.in_prison,
            },
            id,
        ));
    }
    Ok(out)
}

/// Whether each identity number is a tekun person or a dibao recipient today, from the live cases: one statement
/// for all of them.
async fn register_facts(db: &Db, numbers: &[&str]) -> AppResult<HashMap<String, RegisterFacts>> {
    let mut out: HashMap<String, RegisterFacts> = HashMap::new();
    if numbers.is_empty() {
        return Ok(out);
    }
    let list = crate::app::verification::gather::json_list(db.backend(), 1);
    let rows: Vec<(String, String)> = db
        .conn()
        .fetch_all(
            &format!(
                "SELECT p.id_number, c.category FROM persons p JOIN case_members m ON m.person_id = p.id \
                 JOIN cases c ON c.id = m.case_id \
                 WHERE p.id_number IN ({list}) AND c.status IN ('active', 'phasing_out')"
            ),
            args![json!(numbers).to_string()],
        )
        .await?;
    for (number, category) in rows {
        let e = out.entry(number).or_default();
        match category.as_str() {
            "tekun" => e.is_tekun = true,
            "dibao" | "dibao_single" => e.is_dibao_recipient = true,
            _ => {}
        }
    }
    Ok(out)
}

/// Judges every member of `household` under the 2021 rules, writes each member's `has_capable_supporter` into
/// `body` (the household as the assessment API takes it, members in the same order) and answers what the
/// application keeps: per member, the summary and every supporter's verdict.
#[allow(clippy::too_many_arguments)]
pub async fn judge_2021(
    db: &Db,
    household: &Household,
    registry_members: &[PersonRow],
    body: &mut Value,
    on: NaiveDate,
    today: NaiveDate,
    standards: &Standards,
    inputs: &[SupporterInput],
) -> AppResult<Value> {
    let elsewhere = facts_of(inputs, today)?;
    let mut numbers: Vec<&str> = household
        .members
        .iter()
        .map(|m| m.id_number.as_str())
        .collect();
    numbers.extend(
        elsewhere
            .iter()
            .filter_map(|(_, _, id)| id.as_ref().map(IdNumber::as_str)),
    );
    let known = register_facts(db, &numbers).await?;
    let register: Vec<RegisterFacts> = household
        .members
        .iter()
        .map(|m| known.get(m.id_number.as_str()).copied().unwrap_or_default())
        .collect();
    let elsewhere: Vec<SupporterElsewhere> = elsewhere
        .into_iter()
        .map(|(input, mut facts, id)| {
            if let Some(r) = id.as_ref().and_then(|n| known.get(n.as_str())) {
                facts.is_tekun |= r.is_tekun;
                facts.is_dibao_recipient |= r.is_dibao_recipient;
            }
            SupporterElsewhere {
                name: input.name,
                facts,
            }
        })
        .collect();
    let mut judged = Vec::new();
    for (i, m) in household.members.iter().enumerate() {
        let answer = capable_supporter_2021(household, i, on, standards, &register, &elsewhere);
        body["members"][i]["has_capable_supporter"] = json!(answer.has_capable_supporter);
        let name = registry_members
            .iter()
            .find(|r| r.id_number == m.id_number.as_str())
            .map(|r| minzheng_domain::idnumber::mask_name(&r.name))
            .unwrap_or_default();
        judged.push(json!({
            "member": format!("{name}（{}）", m.id_number.masked()),
            "has_capable_supporter": answer.has_capable_supporter,
            "summary": answer.summary,
            "supporters": answer.supporters.iter().map(|s| json!({
                "who": s.who,
                "capable": s.verdict.capable,
                "reasons": s.verdict.reasons,
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({"rule_set": "2021", "members": judged}))
}

/// One member's supporter judgement as the application page and the 审批表 show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupporterLine {
    pub member: String,
    pub has_capable_supporter: bool,
    pub summary: String,
    /// "长子 张某：具备履行义务能力（45岁，本人月收入3000.00元；…）"
    pub details: Vec<String>,
}

/// The judgement recorded at intake (the `supporters` event), if the application was judged under the 2021 rules.
pub fn lines_of(data: &Value) -> Vec<SupporterLine> {
    data["members"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| SupporterLine {
                    member: m["member"].as_str().unwrap_or("").to_string(),
                    has_capable_supporter: m["has_capable_supporter"] == Value::Bool(true),
                    summary: m["summary"].as_str().unwrap_or("").to_string(),
                    details: m["supporters"]
                        .as_array()
                        .map(|ss| {
                            ss.iter()
                                .map(|s| {
                                    let reasons: Vec<&str> = s["reasons"]
                                        .as_array()
                                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                                        .unwrap_or_default();
                                    format!(
                                        "{}：{}（{}）",
                                        s["who"].as_str().unwrap_or(""),
                                        if s["capable"] == Value::Bool(true) {
                                            "具备履行义务能力"
                                        } else {
                                            "无履行义务能力"
                                        },
                                        reasons.join("；")
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}
