//! Children (儿童福利, DOMAIN §5): who a child is — orphan (孤儿) or de facto unsupported (事实无人抚养儿童) —
//! exactly per LINES-API §2, with `add_months` for its calendar months.
//!
//! Each parent gets one status at `as_of`, the strongest that holds: gone, unable, too short, able
//! (`parent_status`). Situations hold from `since`; one whose `since` is after `as_of` does not hold yet and is
//! not refused. Custody, drug rehab and restricted hold only while `as_of` < `until` (null: not fixed).
//!
//! Reason lists (the contract names the codes, not every combination; these are the choices):
//! - a category applies: one reason per parent, father first — `PARENT_GONE` if gone, else `PARENT_UNABLE`;
//! - no category: only what blocks, father first, then `AGE` last:
//!   - each parent neither gone nor unable: `TOO_SHORT` when a custody-like term or a lost contact holds at
//!     `as_of` but falls short of 6 months (it would count if it were long enough), otherwise `PARENT_ABLE`;
//!     a parent who is gone or unable is not listed, since that parent does not block;
//!   - `AGE` when the child is 18 or over and not in full-time education; if the parents would qualify, `AGE`
//!     is the only reason; if they would not, their blocking reasons come too, so the answer says the whole why-not;
//! - `AGE` has `"parent": null`, so every reason has the same shape.
//!
//! Validation choices: `situations` is required (an empty array when the parent is present and able), so a
//! misspelt key cannot silently make a parent able; `until` is accepted for every kind (checked as a date not
//! before `since`) but only custody, drug rehab and restricted use it; `in_full_time_education` absent or null
//! is false; unknown extra fields are ignored.

use crate::assistance::FieldError;
use crate::idnumber::IdNumber;
use crate::wire::{array, boolean, code_list, date, object, required, string};
use chrono::{Months, NaiveDate};
use serde_json::Value;

/// `d` plus `n` calendar months; a day the month lacks becomes its last day (2020-08-31 + 6 = 2021-02-28).
/// Saturates at chrono's last date.
pub fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n))
        .unwrap_or(NaiveDate::MAX)
}

/// Terms and lost contact count from 6 calendar months.
pub const MIN_MONTHS: u32 = 6;

code_list! {
    ParentRole {
        Father = "father" / "父亲",
        Mother = "mother" / "母亲",
    }
}

code_list! {
    /// A parent's situation (LINES-API §2).
    SituationKind {
        Dead = "dead" / "死亡",
        DeclaredMissing = "declared_missing" / "宣告失踪",
        Unknown = "unknown" / "查找不到",
        SevereDisability = "severe_disability" / "重残",
        SeriousIllness = "serious_illness" / "重病",
        Custody = "custody" / "服刑在押",
        DrugRehab = "drug_rehab" / "强制隔离戒毒",
        Restricted = "restricted" / "被执行其他限制人身自由的措施",
        LostContact = "lost_contact" / "失联",
        GuardianshipRevoked = "guardianship_revoked" / "被撤销监护资格",
    }
}

impl SituationKind {
    /// Kinds with a term that ends (`until`).
    pub fn has_term(self) -> bool {
        matches!(
            self,
            SituationKind::Custody | SituationKind::DrugRehab | SituationKind::Restricted
        )
    }
}

code_list! {
    ChildCategory {
        Orphan = "orphan" / "孤儿",
        DeFactoUnsupported = "de_facto_unsupported" / "事实无人抚养儿童",
    }
}

code_list! {
    ReasonCode {
        ParentGone = "PARENT_GONE" / "死亡、宣告失踪或查找不到",
        ParentUnable = "PARENT_UNABLE" / "重残、重病、被撤销监护资格、服刑在押等满6个月或失联满6个月",
        ParentAble = "PARENT_ABLE" / "有抚养能力",
        TooShort = "TOO_SHORT" / "服刑在押等期限或失联不满6个月",
        Age = "AGE" / "已满18周岁且未在接受全日制学历教育",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    pub kind: SituationKind,
    pub since: NaiveDate,
    /// End of the term; used only for kinds with `has_term`.
    pub until: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    pub id_number: IdNumber,
    pub in_full_time_education: bool,
}

/// A validated classify request (the wire's two parents by role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassifyInput {
    pub as_of: NaiveDate,
    pub child: Child,
    pub father: Vec<Situation>,
    pub mother: Vec<Situation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reason {
    pub code: ReasonCode,
    /// `None` (null) for `AGE`.
    pub parent: Option<ParentRole>,
}

/// The answer; its serde form is the API's 200 body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Classification {
    pub age: u32,
    pub category: Option<ChildCategory>,
    pub reasons: Vec<Reason>,
}

/// A parent's status at a date, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParentStatus {
    /// Dead, declared missing or unknown.
    Gone,
    /// Severely disabled, seriously ill, guardianship revoked, a term of 6 months or more, lost contact 6 months.
    Unable,
    /// Only a term or a lost contact that holds but is under 6 months.
    TooShort,
    Able,
}

impl ParentStatus {
    /// Gone or unable: this parent does not stand in the way of a category.
    pub fn counts(self) -> bool {
        matches!(self, ParentStatus::Gone | ParentStatus::Unable)
    }
}

/// What one situation makes of a parent at `as_of` (`Able` when it does not hold).
fn situation_status(s: &Situation, as_of: NaiveDate) -> ParentStatus {
    use SituationKind::*;
    if s.since > as_of {
        return ParentStatus::Able;
    }
    let long_enough = |end: NaiveDate| add_months(s.since, MIN_MONTHS) <= end;
    match s.kind {
        Dead | DeclaredMissing | Unknown => ParentStatus::Gone,
        SevereDisability | SeriousIllness | GuardianshipRevoked => ParentStatus::Unable,
        Custody | DrugRehab | Restricted => match s.until {
            None => ParentStatus::Unable,
            Some(until) if as_of >= until => ParentStatus::Able,
            Some(until) if long_enough(until) => ParentStatus::Unable,
            Some(_) => ParentStatus::TooShort,
        },
        LostContact if long_enough(as_of) => ParentStatus::Unable,
        LostContact => ParentStatus::TooShort,
    }
}

/// The strongest status any of a parent's situations gives at `as_of`.
pub fn parent_status(situations: &[Situation], as_of: NaiveDate) -> ParentStatus {
    situations
        .iter()
        .map(|s| situation_status(s, as_of))
        .min()
        .unwrap_or(ParentStatus::Able)
}

/// Whether [`classify`] can put a child in a category at all: never while neither parent has a situation (each then
/// counts as present and able). A batch over a city's children skips the rule for the nine in ten of that kind.
pub fn may_classify(father: &[Situation], mother: &[Situation]) -> bool {
    !(father.is_empty() && mother.is_empty())
}

pub fn classify(input: &ClassifyInput) -> Classification {
    let age = input.child.id_number.age_on(input.as_of);
    let past_age = age >= 18 && !input.child.in_full_time_education;
    let parents = [
        (
            ParentRole::Father,
            parent_status(&input.father, input.as_of),
        ),
        (
            ParentRole::Mother,
            parent_status(&input.mother, input.as_of),
        ),
    ];
    let by_parents = match (parents[0].1, parents[1].1) {
        (ParentStatus::Gone, ParentStatus::Gone) => Some(ChildCategory::Orphan),
        (f, m) if f.counts() && m.counts() => Some(ChildCategory::DeFactoUnsupported),
        _ => None,
    };
    let reason = |code, role| Reason {
        code,
        parent: Some(role),
    };
    let mut reasons = Vec::new();
    if by_parents.is_some() && !past_age {
        for (role, status) in parents {
            reasons.push(reason(
                if status == ParentStatus::Gone {
                    ReasonCode::ParentGone
                } else {
                    ReasonCode::ParentUnable
                },
                role,
            ));
        }
    } else {
        if by_parents.is_none() {
            for (role, status) in parents {
                match status {
                    ParentStatus::TooShort => reasons.push(reason(ReasonCode::TooShort, role)),
                    ParentStatus::Able => reasons.push(reason(ReasonCode::ParentAble, role)),
                    ParentStatus::Gone | ParentStatus::Unable => {}
                }
            }
        }
        if past_age {
            reasons.push(Reason {
                code: ReasonCode::Age,
                parent: None,
            });
        }
    }
    Classification {
        age,
        category: by_parents.filter(|_| !past_age),
        reasons,
    }
}

// ---------- validation ----------

/// Validates a parsed classify request. `today` bounds birth dates in identity numbers.
pub fn validate_classify(body: &Value, today: NaiveDate) -> Result<ClassifyInput, FieldError> {
    let root = object(body, "", "请求体")?;
    let as_of = date(
        required(root, "", "as_of", "认定日期")?,
        "as_of",
        "认定日期",
    )?;

    let co = object(
        required(root, "", "child", "儿童信息")?,
        "child",
        "儿童信息",
    )?;
    let id_label = "儿童身份证号码";
    let raw_id = string(
        required(co, "child", "id_number", id_label)?,
        "child.id_number",
        id_label,
    )?;
    let id_number = IdNumber::parse(raw_id, today)
        .map_err(|e| FieldError::new("child.id_number", format!("儿童{e}")))?;
    if id_number.birth_date() > as_of {
        return Err(FieldError::new(
            "child.id_number",
            "儿童身份证号码中的出生日期晚于认定日期(as_of)",
        ));
    }
    let edu_label = "是否在接受全日制学历教育";
    let in_full_time_education = match co.get("in_full_time_education") {
        None | Some(Value::Null) => false,
        Some(v) => boolean(v, "child.in_full_time_education", edu_label)?,
    };

    let parents_v = array(
        required(root, "", "parents", "父母信息")?,
        "parents",
        "父母信息",
    )?;
    if parents_v.len() != 2 {
        return Err(FieldError::new(
            "parents",
            format!(
                "父母信息应恰好两项：父亲(father)和母亲(mother)，实为{}项",
                parents_v.len()
            ),
        ));
    }
    let mut father = None;
    let mut mother = None;
    for (i, pv) in parents_v.iter().enumerate() {
        let path = format!("parents[{i}]");
        let po = object(pv, &path, "父母信息")?;
        let role_path = format!("{path}.role");
        let role_raw = string(
            required(po, &path, "role", "父母身份")?,
            &role_path,
            "父母身份",
        )?;
        let role = ParentRole::parse(role_raw).ok_or_else(|| {
            FieldError::new(
                &role_path,
                format!("父母身份“{role_raw}”未知，应为father(父亲)或mother(母亲)"),
            )
        })?;
        let slot = match role {
            ParentRole::Father => &mut father,
            ParentRole::Mother => &mut mother,
        };
        if slot.is_some() {
            return Err(FieldError::new(
                role_path,
                format!(
                    "{}({})重复出现，父亲和母亲应各一项",
                    role.label(),
                    role.code()
                ),
            ));
        }
        let sit_path = format!("{path}.situations");
        let sits = array(
            required(po, &path, "situations", "父母情形")?,
            &sit_path,
            "父母情形",
        )?;
        let mut list = Vec::with_capacity(sits.len());
        for (j, sv) in sits.iter().enumerate() {
            list.push(situation(sv, &format!("{sit_path}[{j}]"))?);
        }
        *slot = Some(list);
    }
    // two entries, neither role repeated: both are there
    Ok(ClassifyInput {
        as_of,
        child: Child {
            id_number,
            in_full_time_education,
        },
        father: father.unwrap_or_default(),
        mother: mother.unwrap_or_default(),
    })
}

fn situation(v: &Value, path: &str) -> Result<Situation, FieldError> {
    let o = object(v, path, "父母情形")?;
    let kind_path = format!("{path}.kind");
    let raw = string(
        required(o, path, "kind", "情形类别")?,
        &kind_path,
        "情形类别",
    )?;
    let kind = SituationKind::parse(raw).ok_or_else(|| {
        FieldError::new(
            &kind_path,
            format!("情形类别“{raw}”未知，可选：{}", SituationKind::codes_text()),
        )
    })?;
    let since = date(
        required(o, path, "since", "开始日期")?,
        &format!("{path}.since"),
        "开始日期",
    )?;
    let until_path = format!("{path}.until");
    let until = match o.get("until") {
        None | Some(Value::Null) => None,
        Some(u) => Some(date(u, &until_path, "期满日期")?),
    };
    if until.is_some_and(|u| u < since) {
        return Err(FieldError::new(until_path, "期满日期早于开始日期"));
    }
    Ok(Situation { kind, since, until })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn today() -> NaiveDate {
        d("2026-11-28")
    }
    fn id(birth: &str) -> String {
        IdNumber::compose("320281", d(birth), 123)
            .as_str()
            .to_string()
    }
    fn sit(kind: &str, since: &str, until: Option<&str>) -> Value {
        json!({ "kind": kind, "since": since, "until": until })
    }
    fn body(as_of: &str, birth: &str, edu: bool, father: Vec<Value>, mother: Vec<Value>) -> Value {
        json!({ "as_of": as_of, "child": { "id_number": id(birth), "in_full_time_education": edu },
                "parents": [ { "role": "father", "situations": father }, { "role": "mother", "situations": mother } ] })
    }
    fn run(v: &Value) -> Value {
        serde_json::to_value(classify(&validate_classify(v, today()).unwrap())).unwrap()
    }
    fn err(v: &Value) -> FieldError {
        validate_classify(v, today()).unwrap_err()
    }

    #[test]
    fn calendar_months() {
        assert_eq!(add_months(d("2020-01-10"), 6), d("2020-07-10"));
        assert_eq!(add_months(d("2020-08-31"), 6), d("2021-02-28"));
        assert_eq!(add_months(d("2019-08-31"), 6), d("2020-02-29"));
        assert_eq!(add_months(d("2020-12-31"), 0), d("2020-12-31"));
        assert_eq!(add_months(d("2020-03-31"), 1), d("2020-04-30"));
    }

    #[test]
    fn the_documented_example() {
        let v = body(
            "2021-03-01",
            "2011-06-01",
            false,
            vec![sit("custody", "2020-01-10", Some("2023-01-09"))],
            vec![sit("dead", "2018-05-01", None)],
        );
        assert_eq!(
            run(&v),
            json!({ "age": 9, "category": "de_facto_unsupported", "reasons": [
                { "code": "PARENT_UNABLE", "parent": "father" }, { "code": "PARENT_GONE", "parent": "mother" } ] })
        );
    }

    #[test]
    fn orphan_and_de_facto() {
        let gone = |k: &str| vec![sit(k, "2015-01-01", None)];
        let v = body(
            "2021-03-01",
            "2011-06-01",
            false,
            gone("unknown"),
            gone("declared_missing"),
        );
        assert_eq!(run(&v)["category"], json!("orphan"));
        assert_eq!(
            run(&v)["reasons"],
            json!([{ "code": "PARENT_GONE", "parent": "father" }, { "code": "PARENT_GONE", "parent": "mother" }])
        );
        let v = body(
            "2021-03-01",
            "2011-06-01",
            false,
            gone("severe_disability"),
            gone("serious_illness"),
        );
        assert_eq!(run(&v)["category"], json!("de_facto_unsupported"));
        let v = body(
            "2021-03-01",
            "2011-06-01",
            false,
            gone("guardianship_revoked"),
            gone("dead"),
        );
        assert_eq!(
            run(&v)["reasons"],
            json!([{ "code": "PARENT_UNABLE", "parent": "father" }, { "code": "PARENT_GONE", "parent": "mother" }])
        );
        // the strongest situation wins: dead and ill is gone
        let v = body(
            "2021-03-01",
            "2011-06-01",
            false,
            vec![
                sit("serious_illness", "2015-01-01", None),
                sit("dead", "2016-01-01", None),
            ],
            gone("dead"),
        );
        assert_eq!(run(&v)["category"], json!("orphan"));
    }

    #[test]
    fn terms_and_lost_contact() {
        let at = |father: Vec<Value>| {
            run(&body(
                "2021-03-01",
                "2011-06-01",
                false,
                father,
                vec![sit("dead", "2018-05-01", None)],
            ))
        };
        let reasons = |father| at(father)["reasons"].clone();
        let unable = json!([{ "code": "PARENT_UNABLE", "parent": "father" }, { "code": "PARENT_GONE", "parent": "mother" }]);
        let too_short = json!([{ "code": "TOO_SHORT", "parent": "father" }]);
        let able = json!([{ "code": "PARENT_ABLE", "parent": "father" }]);

        // a term of exactly 6 months counts, one day less does not
        assert_eq!(
            reasons(vec![sit("drug_rehab", "2020-10-01", Some("2021-04-01"))]),
            unable
        );
        assert_eq!(
            reasons(vec![sit("drug_rehab", "2020-10-01", Some("2021-03-31"))]),
            too_short
        );
        // a term not fixed counts from its first day
        assert_eq!(reasons(vec![sit("restricted", "2021-03-01", None)]), unable);
        // over on as_of (as_of < until fails), or not begun: able
        assert_eq!(
            reasons(vec![sit("custody", "2019-01-01", Some("2021-03-01"))]),
            able
        );
        assert_eq!(reasons(vec![sit("custody", "2021-03-02", None)]), able);
        // lost contact: 6 months by as_of
        assert_eq!(
            reasons(vec![sit("lost_contact", "2020-09-01", None)]),
            unable
        );
        assert_eq!(
            reasons(vec![sit("lost_contact", "2020-09-02", None)]),
            too_short
        );
        // 2020-08-31 + 6 months is 2021-02-28
        assert_eq!(
            run(&body(
                "2021-02-28",
                "2011-06-01",
                false,
                vec![sit("lost_contact", "2020-08-31", None)],
                vec![sit("dead", "2018-05-01", None)]
            ))["category"],
            json!("de_facto_unsupported")
        );
        // until is only read for term kinds
        assert_eq!(
            reasons(vec![sit("lost_contact", "2020-01-01", Some("2020-02-01"))]),
            unable
        );
        // a short term beside a long one: the long one wins
        assert_eq!(
            reasons(vec![
                sit("custody", "2021-01-01", Some("2021-04-01")),
                sit("custody", "2021-01-01", None)
            ]),
            unable
        );
        assert_eq!(reasons(vec![]), able);
    }

    #[test]
    fn both_parents_block() {
        let v = body(
            "2021-03-01",
            "2011-06-01",
            false,
            vec![],
            vec![sit("lost_contact", "2021-01-01", None)],
        );
        assert_eq!(
            run(&v),
            json!({ "age": 9, "category": null, "reasons": [
                { "code": "PARENT_ABLE", "parent": "father" }, { "code": "TOO_SHORT", "parent": "mother" } ] })
        );
    }

    #[test]
    fn age() {
        let orphan = || vec![sit("dead", "2015-01-01", None)];
        // 18 on as_of, not in education
        let v = body("2021-03-01", "2003-03-01", false, orphan(), orphan());
        assert_eq!(
            run(&v),
            json!({ "age": 18, "category": null, "reasons": [ { "code": "AGE", "parent": null } ] })
        );
        // the day before: 17
        let v = body("2021-02-28", "2003-03-01", false, orphan(), orphan());
        assert_eq!(run(&v)["category"], json!("orphan"));
        // in education: still an orphan at 20
        let v = body("2023-03-01", "2003-03-01", true, orphan(), orphan());
        assert_eq!(run(&v)["category"], json!("orphan"));
        // past age and a parent able: both said
        let v = body("2021-03-01", "2001-03-01", false, orphan(), vec![]);
        assert_eq!(
            run(&v)["reasons"],
            json!([{ "code": "PARENT_ABLE", "parent": "mother" }, { "code": "AGE", "parent": null }])
        );
        // absent education flag is false
        let mut v = body("2021-03-01", "2001-03-01", false, orphan(), orphan());
        v["child"]
            .as_object_mut()
            .unwrap()
            .remove("in_full_time_education");
        assert_eq!(run(&v)["category"], Value::Null);
    }

    #[test]
    fn validation_names_the_field() {
        let ok = || body("2021-03-01", "2011-06-01", false, vec![], vec![]);
        assert!(validate_classify(&ok(), today()).is_ok());

        let mut v = ok();
        v["as_of"] = json!("2021-3-1");
        assert_eq!(err(&v).field, "as_of");
        assert!(err(&v).message.starts_with("认定日期"));
        v["as_of"] = json!("2021-02-30");
        assert_eq!(err(&v).field, "as_of");

        let mut v = ok();
        let mut bad = id("2011-06-01");
        let last = bad.pop().unwrap();
        bad.push(if last == '0' { '1' } else { '0' });
        v["child"]["id_number"] = json!(bad);
        let e = err(&v);
        assert_eq!(e.field, "child.id_number");
        assert!(e.message.starts_with("儿童身份证号码"), "{}", e.message);
        let v = body("2011-05-31", "2011-06-01", false, vec![], vec![]);
        assert_eq!(err(&v).field, "child.id_number");
        let mut v = ok();
        v["child"]["in_full_time_education"] = json!("yes");
        assert_eq!(err(&v).field, "child.in_full_time_education");

        let mut v = ok();
        v["parents"].as_array_mut().unwrap().pop();
        assert_eq!(err(&v).field, "parents");
        let mut v = ok();
        v["parents"][1]["role"] = json!("father");
        let e = err(&v);
        assert_eq!(e.field, "parents[1].role");
        assert_eq!(e.message, "父亲(father)重复出现，父亲和母亲应各一项");
        v["parents"][1]["role"] = json!("guardian");
        assert_eq!(err(&v).field, "parents[1].role");
        let mut v = ok();
        v["parents"][0]
            .as_object_mut()
            .unwrap()
            .remove("situations");
        assert_eq!(err(&v).field, "parents[0].situations");

        let with = |s: Value| body("2021-03-01", "2011-06-01", false, vec![], vec![s]);
        assert_eq!(
            err(&with(sit("jailed", "2020-01-01", None))).field,
            "parents[1].situations[0].kind"
        );
        assert_eq!(
            err(&with(json!({ "kind": "dead" }))).field,
            "parents[1].situations[0].since"
        );
        let e = err(&with(sit("custody", "2020-01-01", Some("2019-12-31"))));
        assert_eq!(e.field, "parents[1].situations[0].until");
        assert_eq!(e.message, "期满日期早于开始日期");
        // a since after as_of is not refused: the situation does not hold yet
        let v = with(sit("dead", "2022-01-01", None));
        assert_eq!(
            run(&v)["reasons"][1],
            json!({ "code": "PARENT_ABLE", "parent": "mother" })
        );
        // parents in either order
        let mut v = body(
            "2021-03-01",
            "2011-06-01",
            false,
            vec![],
            vec![sit("dead", "2020-01-01", None)],
        );
        v["parents"].as_array_mut().unwrap().reverse();
        let input = validate_classify(&v, today()).unwrap();
        assert_eq!(input.mother.len(), 1);
        assert!(input.father.is_empty());

        assert_eq!(err(&json!("x")).field, "");
        assert_eq!(err(&json!({ "as_of": "2021-03-01" })).field, "child");
    }

    // ---------- properties ----------

    fn kind() -> impl Strategy<Value = SituationKind> {
        proptest::sample::select(SituationKind::ALL)
    }

    /// Situations around the fixed as_of 2021-03-01, some starting after it.
    fn situation_s() -> impl Strategy<Value = Situation> {
        (kind(), -900i64..60, proptest::option::of(0i64..700)).prop_map(|(kind, since, len)| {
            let since = d("2021-03-01") + chrono::Duration::days(since);
            Situation {
                kind,
                since,
                until: len.map(|n| since + chrono::Duration::days(n)),
            }
        })
    }

    fn input_s() -> impl Strategy<Value = ClassifyInput> {
        (
            0i64..(30 * 365),
            any::<bool>(),
            proptest::collection::vec(situation_s(), 0..4),
            proptest::collection::vec(situation_s(), 0..4),
        )
            .prop_map(|(days, edu, father, mother)| {
                let as_of = d("2021-03-01");
                ClassifyInput {
                    as_of,
                    child: Child {
                        id_number: IdNumber::compose(
                            "320281",
                            as_of - chrono::Duration::days(days),
                            7,
                        ),
                        in_full_time_education: edu,
                    },
                    father,
                    mother,
                }
            })
    }

    fn to_body(i: &ClassifyInput) -> Value {
        let sits = |v: &[Situation]| -> Vec<Value> {
            v.iter()
                .map(|s| json!({ "kind": s.kind.code(), "since": s.since.to_string(), "until": s.until.map(|u| u.to_string()) }))
                .collect()
        };
        json!({ "as_of": i.as_of.to_string(),
                "child": { "id_number": i.child.id_number.as_str(), "in_full_time_education": i.child.in_full_time_education },
                "parents": [ { "role": "father", "situations": sits(&i.father) }, { "role": "mother", "situations": sits(&i.mother) } ] })
    }

    fn swap(r: &Reason) -> Reason {
        Reason {
            code: r.code,
            parent: r.parent.map(|p| match p {
                ParentRole::Father => ParentRole::Mother,
                ParentRole::Mother => ParentRole::Father,
            }),
        }
    }

    proptest! {
        #[test]
        fn swapping_parents_swaps_reasons(i in input_s()) {
            let a = classify(&i);
            let mut j = i.clone();
            std::mem::swap(&mut j.father, &mut j.mother);
            let b = classify(&j);
            prop_assert_eq!(a.category, b.category);
            // father first, AGE (no parent) last
            let mut expected: Vec<Reason> = a.reasons.iter().map(swap).collect();
            expected.sort_by_key(|r| r.parent.map_or(2, |p| p as u8));
            prop_assert_eq!(b.reasons, expected);
        }

        #[test]
        fn past_age_without_education_is_never_classified(i in input_s()) {
            let c = classify(&i);
            if c.age >= 18 && !i.child.in_full_time_education {
                prop_assert_eq!(c.category, None);
                prop_assert_eq!(c.reasons.last().map(|r| r.code), Some(ReasonCode::Age));
            } else {
                prop_assert!(c.reasons.iter().all(|r| r.code != ReasonCode::Age));
            }
        }

        #[test]
        fn a_death_never_undoes_a_category(i in input_s(), father: bool, back in 0i64..3000) {
            let before = classify(&i);
            let mut j = i.clone();
            let dead = Situation { kind: SituationKind::Dead, since: i.as_of - chrono::Duration::days(back), until: None };
            if father { j.father.push(dead) } else { j.mother.push(dead) }
            let after = classify(&j);
            if before.category == Some(ChildCategory::Orphan) {
                prop_assert_eq!(after.category, Some(ChildCategory::Orphan));
            }
            if before.category.is_some() {
                prop_assert!(after.category.is_some());
            }
        }

        #[test]
        fn reasons_fit_the_category(i in input_s()) {
            let c = classify(&i);
            let codes: Vec<ReasonCode> = c.reasons.iter().map(|r| r.code).collect();
            match c.category {
                Some(cat) => {
                    prop_assert_eq!(codes.len(), 2);
                    prop_assert!(codes.iter().all(|r| matches!(r, ReasonCode::ParentGone | ReasonCode::ParentUnable)));
                    prop_assert_eq!(cat == ChildCategory::Orphan, codes == [ReasonCode::ParentGone; 2]);
                }
                None => {
                    prop_assert!(!codes.is_empty());
                    prop_assert!(codes.iter().all(|r| matches!(r, ReasonCode::ParentAble | ReasonCode::TooShort | ReasonCode::Age)));
                }
            }
        }

        #[test]
        fn without_situations_no_category(i in input_s()) {
            let mut j = i.clone();
            j.father.clear();
            j.mother.clear();
            prop_assert!(!may_classify(&j.father, &j.mother));
            prop_assert_eq!(classify(&j).category, None);
            if classify(&i).category.is_some() {
                prop_assert!(may_classify(&i.father, &i.mother));
            }
        }

        #[test]
        fn the_wire_form_validates_to_the_same_input(i in input_s()) {
            let v = to_body(&i);
            prop_assert_eq!(validate_classify(&v, today()).unwrap(), i);
        }

        #[test]
        fn add_months_keeps_the_day_or_the_last_day(y in 1900i32..2200, ord in 1u32..=365, n in 0u32..40) {
            use chrono::Datelike;
            let a = NaiveDate::from_yo_opt(y, ord).unwrap();
            let b = add_months(a, n);
            let months = |x: NaiveDate| x.year() * 12 + x.month0() as i32;
            prop_assert_eq!(months(b) - months(a), n as i32);
            let last_of_b = add_months(b.with_day(1).unwrap(), 1).pred_opt().unwrap().day();
            prop_assert_eq!(b.day(), a.day().min(last_of_b));
        }
    }
}
