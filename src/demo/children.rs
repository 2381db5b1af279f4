//! The demo bureau's children's welfare: the allowance standards, a 儿童督导员 in every town and a 儿童主任 in every
//! village of 澄江街道 (one trained, one changed), a few children of each category — most in the grid worker's
//! community, some elsewhere — registered as the towns would (孤儿 and 事实无人抚养 by the classify rule), the
//! allowance decided for the orphans and 事实无人抚养儿童 from January 2021, and a visit to half of them.

use super::assistance::actor;
use crate::app::App;
use crate::app::authz::Role;
use crate::app::children::allowances::{self, NewAllowance, NewStandard};
use crate::app::children::people::{self, NewTraining, NewVisit, NewWorker};
use crate::app::children::{self, NewRegistration};
use chrono::NaiveDate;
use serde_json::json;

pub struct Seeded {
    pub registered: usize,
    pub allowances: usize,
}

/// (category, sub-kind, parents' situations or evidence) for the demo's children, in order.
const PLAN: [(&str, &str); 11] = [
    ("orphan", "family"),
    ("orphan", "family"),
    ("orphan", "institution"),
    ("de_facto_unsupported", "family"),
    ("de_facto_unsupported", "family"),
    ("in_difficulty", "poverty"),
    ("in_difficulty", "disability_illness"),
    ("in_difficulty", "guardianship"),
    ("left_behind", "both_away"),
    ("left_behind", "both_away"),
    ("left_behind", "one_away_other_unable"),
];

pub async fn seed(app: &App) -> anyhow::Result<Seeded> {
    let err = |e: crate::app::AppError| anyhow::anyhow!("{e}");
    let areas = app.areas();
    let city_code = areas.city_code.clone();
    let section = actor(Role::CityOfficer, &city_code, "市局儿童福利科");
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
    // the demo's 2020 rolls are approved: the standards take effect from January 2021
    for (tier, amount) in [("institution", "1900.00"), ("family", "1500.00")] {
        allowances::set_standard(
            app,
            &section,
            NewStandard {
                tier: tier.into(),
                effective_from: "2021-01".into(),
                monthly_amount: amount.into(),
                reason: "演示标准（以市局文件为准）".into(),
            },
        )
        .await
        .map_err(err)?;
    }
    // people: a supervisor per town, a director per village of 澄江街道
    for (i, t) in areas.towns().iter().enumerate() {
        let ctx = actor(Role::TownOfficer, &t.code, "镇(街道)民政办");
        people::appoint(
            app,
            &ctx,
            NewWorker {
                role: "supervisor".into(),
                area_code: t.code.clone(),
                name: format!("督导员{}", t.name.chars().next().unwrap_or('甲')),
                phone: format!("1390510{:04}", i + 1),
                appointed_on: d(2020, 3, 1),
            },
        )
        .await
        .map_err(err)?;
    }
    let cj = "320281001";
    let town = actor(Role::TownOfficer, cj, "澄江街道民政办");
    let villages: Vec<String> = areas.children(cj).iter().map(|v| v.code.clone()).collect();
    const SURNAMES: [char; 8] = ['王', '李', '张', '陈', '周', '吴', '徐', '孙'];
    for (i, v) in villages.iter().enumerate() {
        let w = people::appoint(
            app,
            &town,
            NewWorker {
                role: "director".into(),
                area_code: v.clone(),
                name: format!("{}主任", SURNAMES[i % SURNAMES.len()]),
                phone: format!("1380510{:04}", i + 1),
                appointed_on: d(2020, 3, 1),
            },
        )
        .await
        .map_err(err)?;
        if i % 2 == 0 {
            people::train(
                app,
                &town,
                &w.id,
                NewTraining {
                    trained_on: d(2020, 6, 18),
                    topic: "儿童主任业务能力培训".into(),
                    hours: 8,
                },
            )
            .await
            .map_err(err)?;
        }
    }
    if let Some(first) = villages.first() {
        // the first community's director was changed in the autumn: the history shows both
        people::appoint(
            app,
            &town,
            NewWorker {
                role: "director".into(),
                area_code: first.clone(),
                name: "钱主任".into(),
                phone: "13805109999".into(),
                appointed_on: d(2020, 9, 1),
            },
        )
        .await
        .map_err(err)?;
    }

    // children: under 18 all through 2020 (born 2004–2015), in the grid worker's community first, then elsewhere
    let first = villages.first().cloned().unwrap_or_default();
    let mut picked: Vec<(String, String)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT id, town_code FROM persons WHERE area_code = $1 AND status = 'normal' \
             AND birth_date BETWEEN $2 AND $3 ORDER BY id LIMIT 8",
            crate::args![&first, d(2004, 1, 1), d(2015, 12, 31)],
        )
        .await?;
    let others: Vec<(String, String)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT id, town_code FROM persons WHERE area_code NOT LIKE $1 AND status = 'normal' \
             AND birth_date BETWEEN $2 AND $3 ORDER BY id LIMIT 3",
            crate::args![format!("{cj}%"), d(2004, 1, 1), d(2015, 12, 31)],
        )
        .await?;
    picked.extend(others);
    let dead = |since: &str| json!([{"kind": "dead", "since": since}]);
    let mut registered = 0;
    let mut allowances_n = 0;
    for (i, ((pid, town_code), (category, sub_kind))) in picked.iter().zip(PLAN).enumerate() {
        let ctx = actor(Role::TownOfficer, town_code, "镇(街道)民政办");
        let parents = match category {
            "orphan" => Some(json!([
                {"role": "father", "situations": dead("2017-04-02")},
                {"role": "mother", "situations": dead("2019-08-15")},
            ])),
            "de_facto_unsupported" => Some(json!([
                {"role": "father", "situations": [{"kind": "custody", "since": "2019-05-01", "until": "2026-04-30"}]},
                {"role": "mother", "situations": [{"kind": "lost_contact", "since": "2019-10-01"}]},
            ])),
            _ => None,
        };
        let evidence = match category {
            "in_difficulty" => "村(居)委会入户核实，家庭困难情况属实",
            "left_behind" => "父母在外省务工，由祖父母照料",
            _ => "",
        };
        let r = children::register(
            app,
            &ctx,
            NewRegistration {
                person_id: pid.clone(),
                category: category.into(),
                sub_kind: sub_kind.into(),
                evidence: evidence.into(),
                start_on: d(2020, 11, 2),
                parents,
                education_until: None,
            },
        )
        .await;
        let Ok(r) = r else { continue };
        registered += 1;
        if children::by_rule(category)
            && allowances::decide(
                app,
                &section,
                NewAllowance {
                    registration_id: r.id.clone(),
                    bank_account: format!("6228480010{:09}", i + 1),
                    decided_on: d(2020, 12, 15),
                },
            )
            .await
            .is_ok()
        {
            allowances_n += 1;
        }
        if i % 2 == 0 {
            people::visit(
                app,
                &ctx,
                &r.id,
                NewVisit {
                    visited_on: Some(d(2020, 12, 5)),
                    seen: "儿童在家，生活起居由祖辈照料，学习情况一般".into(),
                    needs: "冬季衣物，课业辅导".into(),
                    photos: vec![],
                },
            )
            .await
            .map_err(err)?;
        }
    }
    protection(app, &section, &picked).await?;
    Ok(Seeded {
        registered,
        allowances: allowances_n,
    })
}

/// The city's 儿童福利院, the orphan in its care under state guardianship (temporary, then long-term), and the
/// first orphan adopted by a couple after the home assessment.
async fn protection(
    app: &App,
    section: &crate::app::Ctx,
    picked: &[(String, String)],
) -> anyhow::Result<()> {
    use crate::app::children::protection::{
        self, Assessment, NewAdopter, NewAdoption, NewGuardianship, RegisterAdoption,
    };
    let err = |e: crate::app::AppError| anyhow::anyhow!("{e}");
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
    let (Some((adopted, adopted_town)), Some((cared, _))) = (picked.first(), picked.get(2)) else {
        return Ok(());
    };
    let first17 = "12320281MB0000207";
    let org = crate::app::organisations::create(
        app,
        section,
        crate::app::organisations::OrgInput {
            name: "江阴市儿童福利院".into(),
            credit_code: format!("{first17}{}", minzheng_domain::orgs::check_char(first17)),
            kind: "child_welfare_institution".into(),
            area_code: adopted_town.clone(),
            address: "澄江街道福利路1号".into(),
            legal_rep: "周院长".into(),
            authority: "江阴市民政局".into(),
            registered_on: Some(d(2010, 3, 1)),
            status: None,
        },
    )
    .await
    .map_err(err)?;
    for (kind, basis, on, circumstance) in [
        (
            "temporary",
            "minors_92",
            d(2020, 11, 3),
            "父母双亡，其他近亲属无监护能力，由民政部门临时监护，送儿童福利院照料",
        ),
        (
            "long_term",
            "civil_32",
            d(2020, 12, 1),
            "经查无依法具有监护资格的人，由民政部门担任监护人",
        ),
    ] {
        protection::start_guardianship(
            app,
            section,
            NewGuardianship {
                person_id: cared.clone(),
                kind: kind.into(),
                legal_basis: basis.into(),
                circumstance: circumstance.into(),
                org_id: org.id.clone(),
                start_on: on,
                planned_end: None,
            },
        )
        .await
        .map_err(err)?;
    }
    let town = actor(Role::TownOfficer, adopted_town, "镇(街道)民政办");
    let adopter = |y, seq| {
        minzheng_domain::idnumber::IdNumber::compose("320281", d(y, 6, 18), seq).to_string()
    };
    let a = protection::file_adoption(
        app,
        &town,
        NewAdoption {
            person_id: adopted.clone(),
            adopters: vec![
                NewAdopter {
                    name: "钱建国".into(),
                    id_number: adopter(1983, 913),
                    able_to_raise: true,
                    disqualifying_illness: false,
                    harmful_record: false,
                },
                NewAdopter {
                    name: "孙丽华".into(),
                    id_number: adopter(1985, 914),
                    able_to_raise: true,
                    disqualifying_illness: false,
                    harmful_record: false,
                },
            ],
            has_spouse: false,
            children: 0,
            adopting: Some(1),
            foundling: false,
            phone: "13905101234".into(),
            address: "澄江街道人民中路18号".into(),
            filed_on: d(2020, 12, 1),
        },
    )
    .await
    .map_err(err)?;
    let item = |s: &str| s.to_string();
    protection::assess(
        app,
        &town,
        &a.id,
        Assessment {
            assessed_on: d(2020, 12, 20),
            assessors: vec![item("王芳"), item("李强")],
            motive: item("婚后多年未育，希望给孩子一个完整的家"),
            character: item("邻里评价良好，无违法犯罪记录"),
            health: item("夫妻二人体检合格"),
            finances_housing: item("夫妻月收入合计1.2万元，自有住房98平方米"),
            family: item("夫妻关系和睦，双方父母支持收养"),
            parenting_plan: item("就近入学，定期体检，周末陪伴"),
            bonding: item("融合期内孩子与收养人亲近，适应良好"),
            suitable: true,
            conclusion: item("收养人具备抚养、教育和保护被收养人的能力，适宜收养"),
        },
    )
    .await
    .map_err(err)?;
    protection::register_adoption(
        app,
        section,
        &a.id,
        RegisterAdoption {
            registered_on: d(2020, 12, 28),
        },
    )
    .await
    .map_err(err)?;
    Ok(())
}
