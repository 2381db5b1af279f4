//! The demo bureau's elderly care at work in 2020, through the same use cases the pages call (so every record is
//! validated and audited as a real one): per town an elderly institution (filed, new beds, star grade, residents,
//! the yearly inspection, safety inspections, hazards and screening), a day-care centre, meal points in the
//! villages, a home care provider; 一镇一品 sites and smart institutions named; home care assistance granted to the
//! qualifying elderly with services recorded; adaptations planned and accepted; family care beds with visits.
//! Deterministic: every choice is taken from the town's and village's place in the list.

use super::assistance::actor;
use crate::app::authz::Role;
use crate::app::elderly::{self, community, services, staff};
use crate::app::organisations::{self, OrgInput};
use crate::app::{App, AppError, Ctx, institutions, safety};
use chrono::{Datelike, NaiveDate};
use minzheng_domain::elderly::community::{StandardItem, is_rural_community};
use serde_json::{Value, json};

#[derive(Debug, Default)]
pub struct Seeded {
    pub organisations: usize,
    pub facilities: usize,
    pub grants: usize,
    pub adaptations: usize,
    pub beds: usize,
    pub carers: usize,
    pub volunteers: usize,
}

/// A 1×1 PNG: the demo's acceptance and rectification photos.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0A, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9C, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0D, 0x0A, 0x2D, 0xB4, 0, 0, 0, 0, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, m, day).expect("date")
}

fn err(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// A valid credit code of a 民非 registered in Jiangyin, numbered from the demo's own range.
fn credit(n: usize) -> String {
    let first = format!("52320281MJ{:07}", 6_000_000 + n);
    format!("{first}{}", minzheng_domain::orgs::check_char(&first))
}

/// The 26 items with self-care and mobility lowered by `loss` points each (0: able).
fn items(loss: u8) -> Value {
    let mut m = serde_json::Map::new();
    for (c, _, max) in minzheng_domain::elderly::ITEMS {
        let v = if c.starts_with("B.1.") || c.starts_with("B.2.") {
            max.saturating_sub(loss)
        } else {
            *max
        };
        m.insert((*c).into(), json!(v));
    }
    Value::Object(m)
}

async fn assess(app: &App, ctx: &Ctx, person: &str, loss: u8, on: NaiveDate) -> anyhow::Result<()> {
    elderly::record(
        app,
        ctx,
        elderly::NewAssessment {
            person_id: person.into(),
            assessed_on: on,
            reason: "first".into(),
            assessors: vec!["周评估".into(), "吴评估".into()],
            capability: json!({"items": items(loss), "coma": false, "dementia_or_mental_disorder": false, "care_risk_events_30d": 0}),
        },
    )
    .await
    .map_err(err)?;
    Ok(())
}

async fn org(
    app: &App,
    ctx: &Ctx,
    n: &mut usize,
    name: String,
    kind: &str,
    area: &str,
    registered: NaiveDate,
) -> anyhow::Result<String> {
    *n += 1;
    let o = organisations::create(
        app,
        ctx,
        OrgInput {
            name,
            credit_code: credit(*n),
            kind: kind.into(),
            area_code: area.into(),
            address: String::new(),
            legal_rep: String::new(),
            authority: "江阴市民政局".into(),
            registered_on: Some(registered),
            status: None,
        },
    )
    .await
    .map_err(err)?;
    Ok(o.id)
}

pub async fn seed(app: &App) -> anyhow::Result<Seeded> {
    let mut out = Seeded::default();
    let city_code = app.areas().city_code.clone();
    let city = actor(Role::CityOfficer, &city_code, "市局养老服务科");
    let towns: Vec<(String, String)> = app
        .areas()
        .children(&city_code)
        .iter()
        .map(|a| (a.code.clone(), a.name.clone()))
        .collect();
    let all_present: Vec<String> = StandardItem::ALL
        .iter()
        .map(|i| i.code().to_string())
        .collect();
    let mut village_no = 0usize;
    for (i, (town, tname)) in towns.iter().enumerate() {
        let ctx = actor(Role::TownOfficer, town, &format!("{tname}民政办"));
        let villages: Vec<(String, String)> = app
            .areas()
            .children(town)
            .iter()
            .map(|a| (a.code.clone(), a.name.clone()))
            .collect();
        let Some(first) = villages.first() else {
            continue;
        };
        let short = tname.trim_end_matches("街道").trim_end_matches('镇');

        // the institution: filed in 2019, new beds in 2020, star grade, yearly inspection (every 7th overdue)
        let inst = org(
            app,
            &ctx,
            &mut out.organisations,
            format!("{short}颐养院"),
            "elderly_institution",
            &first.0,
            NaiveDate::from_ymd_opt(2018, 5, 1).expect("date"),
        )
        .await?;
        let total = 120 + 10 * i as i64;
        institutions::file(
            app,
            &ctx,
            &inst,
            institutions::Filing {
                filed_on: NaiveDate::from_ymd_opt(2019, 6, 1).expect("date"),
                filing_number: format!("澄民养备〔2019〕{}号", i + 1),
                ownership: ["public", "public_private", "private"][i % 3].into(),
                beds_total: total,
                beds_nursing: total * 6 / 10,
                documents: vec![
                    "营业执照或登记证书".into(),
                    "消防验收意见书".into(),
                    "食品经营许可证".into(),
                ],
            },
        )
        .await
        .map_err(err)?;
        let added = 100 + 5 * i as i64;
        institutions::change_beds(
            app,
            &ctx,
            &inst,
            institutions::BedChange {
                changed_on: d(7, 1),
                beds_total: total + added,
                beds_nursing: (total + added) * 65 / 100,
                ownership: None,
                note: "新建护理楼投入使用".into(),
            },
        )
        .await
        .map_err(err)?;
        institutions::rate(
            app,
            &ctx,
            &inst,
            institutions::StarRating {
                grade: (i % 5) as i64 + 1,
                rated_on: d(9, 1),
            },
        )
        .await
        .map_err(err)?;
        if i % 7 != 6 {
            institutions::inspect(
                app,
                &ctx,
                &inst,
                institutions::Inspection {
                    inspected_on: d(10, 15),
                    inspectors: vec!["陈检查".into(), "林检查".into()],
                    result: if i % 5 == 4 { "rectify" } else { "passed" }.into(),
                    note: if i % 5 == 4 {
                        "消防通道堆放杂物，限期整改".into()
                    } else {
                        String::new()
                    },
                },
            )
            .await
            .map_err(err)?;
        }
        // residents: the town's oldest who live alone, assessed on admission
        let olds: Vec<(String, String)> = app
            .db
            .conn()
            .fetch_all(
                "SELECT id, id_number FROM persons WHERE town_code = $1 AND status = 'normal' AND birth_date <= $2 ORDER BY birth_date, id LIMIT 3",
                crate::args![town, NaiveDate::from_ymd_opt(1940, 1, 1).expect("date")],
            )
            .await?;
        for (k, (pid, idn)) in olds.iter().enumerate() {
            let admitted = institutions::admit(
                app,
                &ctx,
                &inst,
                institutions::Admission {
                    id_number: idn.clone(),
                    admitted_on: d(2 + k as u32, 10),
                    contract_number: format!("{short}颐-2020-{:03}", k + 1),
                    contract_start: d(2 + k as u32, 10),
                    contract_end: NaiveDate::from_ymd_opt(2022, 12, 31).expect("date"),
                },
            )
            .await;
            if admitted.is_ok() {
                assess(app, &ctx, pid, 2 + k as u8, d(2 + k as u32, 10)).await?;
            }
        }
        // safety: a checklist inspection; every 5th town finds a hazard (major and open in every 10th)
        let failed = i % 5 == 0;
        let answers = minzheng_domain::safety::CheckItem::ALL
            .iter()
            .map(|c| safety::CheckAnswer {
                item: c.code().into(),
                passed: !(failed && *c == minzheng_domain::safety::CheckItem::Evacuation),
                note: if failed && *c == minzheng_domain::safety::CheckItem::Evacuation {
                    "疏散通道被占用".into()
                } else {
                    String::new()
                },
            })
            .collect();
        let ins = safety::inspect(
            app,
            &ctx,
            &inst,
            safety::NewInspection {
                inspected_on: d(11, 2),
                inspectors: vec!["陈检查".into(), "林检查".into()],
                items: answers,
                note: String::new(),
            },
        )
        .await
        .map_err(err)?;
        if failed {
            let h = safety::add_hazard(
                app,
                &ctx,
                &inst,
                safety::NewHazard {
                    found_on: d(11, 2),
                    grade: if i % 10 == 0 { "major" } else { "general" }.into(),
                    description: "疏散通道被杂物占用".into(),
                    deadline: d(11, 30),
                    inspection_id: Some(ins.id.clone()),
                },
            )
            .await
            .map_err(err)?;
            if i % 10 != 0 {
                safety::close_hazard(
                    app,
                    &ctx,
                    &h.id,
                    safety::HazardClosure {
                        closed_on: Some(d(11, 20)),
                        note: "杂物已清理，通道畅通".into(),
                        photos: vec![PNG.to_vec()],
                    },
                )
                .await
                .map_err(err)?;
            }
        }
        safety::add_closure(
            app,
            &ctx,
            &inst,
            safety::NewClosure {
                starts_on: d(1, 28),
                ends_on: Some(d(3, 20)),
                reason: "新冠肺炎疫情防控封闭管理".into(),
            },
        )
        .await
        .map_err(err)?;
        safety::add_screening(
            app,
            &ctx,
            &inst,
            safety::NewScreening {
                screened_on: d(2, 10),
                group: "staff".into(),
                screened: 20 + i as i64,
                abnormal: 0,
                note: String::new(),
            },
        )
        .await
        .map_err(err)?;

        // the town's day-care centre (five opened in 2020), its 标配 check and designations
        let centre = org(
            app,
            &ctx,
            &mut out.organisations,
            format!("{short}老年人日间照料中心"),
            "day_care_centre",
            town,
            NaiveDate::from_ymd_opt(2018, 3, 1).expect("date"),
        )
        .await?;
        community::set_facility(
            app,
            &ctx,
            &centre,
            community::FacilityInput {
                level: "town".into(),
                meals: i % 2 == 0,
                regional: false,
                opened_on: if i % 4 == 0 {
                    d(3 + (i / 4 % 4) as u32, 18)
                } else {
                    NaiveDate::from_ymd_opt(2018, 9, 1).expect("date")
                },
                capacity: 30,
                served: villages.iter().take(4).map(|v| v.0.clone()).collect(),
            },
        )
        .await
        .map_err(err)?;
        out.facilities += 1;
        let mut present = all_present.clone();
        if i % 6 == 3 {
            present.retain(|p| p != "barrier_free");
        }
        community::check_standard(
            app,
            &ctx,
            &centre,
            community::StandardCheck {
                checked_on: d(8, 20),
                checkers: vec!["何检查".into(), "罗检查".into()],
                present,
                note: if i % 6 == 3 {
                    "无障碍坡道未建，年底前整改".into()
                } else {
                    String::new()
                },
            },
        )
        .await
        .map_err(err)?;
        if i % 7 != 6 {
            community::designate(
                app,
                &city,
                &centre,
                community::DesignationInput {
                    kind: "demo_site".into(),
                    named_on: d(10, 1),
                    title: format!("{short}一镇一品·颐养之家"),
                },
            )
            .await
            .map_err(err)?;
        }
        if i % 2 == 0 {
            community::designate(
                app,
                &city,
                &inst,
                community::DesignationInput {
                    kind: "smart".into(),
                    named_on: d(11, 10),
                    title: "智慧养老：智能呼叫与健康监测".into(),
                },
            )
            .await
            .map_err(err)?;
        }

        // meal points: most urban communities and some villages; the first of ten towns a regional centre (2020)
        for (j, (v, vname)) in villages.iter().enumerate() {
            village_no += 1;
            let rural = is_rural_community(vname);
            let regional = j == 0 && i < 10;
            if !(regional
                || (!rural && !village_no.is_multiple_of(10))
                || (rural && village_no % 5 < 3))
            {
                continue;
            }
            let short_v = vname
                .trim_end_matches("委员会")
                .trim_end_matches("委会")
                .trim_end_matches("居民")
                .trim_end_matches("村民");
            let mp = org(
                app,
                &ctx,
                &mut out.organisations,
                format!("{short_v}助餐点"),
                "meal_point",
                v,
                NaiveDate::from_ymd_opt(2019, 3, 1).expect("date"),
            )
            .await?;
            let served: Vec<String> = if regional {
                villages.iter().take(3).map(|x| x.0.clone()).collect()
            } else {
                vec![v.clone()]
            };
            community::set_facility(
                app,
                &ctx,
                &mp,
                community::FacilityInput {
                    level: "village".into(),
                    meals: true,
                    regional,
                    opened_on: if regional {
                        d(4, 1 + (i % 20) as u32)
                    } else {
                        NaiveDate::from_ymd_opt(2019, 5, 1).expect("date")
                    },
                    capacity: 40,
                    served,
                },
            )
            .await
            .map_err(err)?;
            out.facilities += 1;
            let ok = !village_no.is_multiple_of(8);
            let mut present = all_present.clone();
            if !ok {
                present.retain(|p| p != "health");
            }
            community::check_standard(
                app,
                &ctx,
                &mp,
                community::StandardCheck {
                    checked_on: d(9, 5),
                    checkers: vec!["何检查".into(), "罗检查".into()],
                    present,
                    note: if ok {
                        String::new()
                    } else {
                        "缺健康服务室，限期配置".into()
                    },
                },
            )
            .await
            .map_err(err)?;
        }

        // carers at the institution (three of four trained and passed in 2020), volunteers in every village
        let base = if i < 2 {
            Some(
                org(
                    app,
                    &ctx,
                    &mut out.organisations,
                    format!("{short}养老服务实训基地"),
                    "training_base",
                    town,
                    d(4, 1),
                )
                .await?,
            )
        } else {
            None
        };
        for k in 0..4u16 {
            out.carers += 1;
            let idn = minzheng_domain::idnumber::IdNumber::compose(
                "320281",
                NaiveDate::from_ymd_opt(1970 + (k as i32) * 3, 1 + (i % 12) as u32, 1 + k as u32)
                    .expect("date"),
                (out.carers % 999) as u16,
            )
            .to_string();
            let c = staff::add_carer(
                app,
                &ctx,
                staff::CarerInput {
                    organisation_id: inst.clone(),
                    name: format!(
                        "{}护理{}",
                        ["王", "李", "张", "刘"][k as usize],
                        ["甲", "乙", "丙", "丁"][k as usize]
                    ),
                    id_number: idn,
                    certificate: ["junior", "intermediate", "none", "senior"][k as usize].into(),
                    hired_on: NaiveDate::from_ymd_opt(2019, 3, 1).expect("date"),
                },
            )
            .await
            .map_err(err)?;
            if k != 3 {
                staff::add_training(
                    app,
                    &ctx,
                    &c.id,
                    staff::TrainingInput {
                        trained_on: d(6, 15 + k as u32),
                        course: "失能老人照护技能".into(),
                        hours: 40,
                        base_id: base.clone(),
                        passed: true,
                    },
                )
                .await
                .map_err(err)?;
            }
        }
        for (j, (v, _)) in villages.iter().enumerate() {
            for k in 0..2 {
                staff::add_volunteer(
                    app,
                    &ctx,
                    staff::VolunteerInput {
                        name: ["赵志愿", "钱志愿", "孙志愿", "周志愿"][(j + k) % 4].into(),
                        phone: format!("1390510{:04}", (j * 2 + k) % 10_000),
                        area_code: v.clone(),
                        registered_on: d(1 + ((j + k) % 12) as u32, 5),
                    },
                )
                .await
                .map_err(err)?;
                out.volunteers += 1;
            }
        }

        // the home care provider; three towns' elderly-service organisations registered in 2020
        let provider = org(
            app,
            &ctx,
            &mut out.organisations,
            format!("{short}居家养老服务中心"),
            "home_care_provider",
            town,
            NaiveDate::from_ymd_opt(2017, 1, 1).expect("date"),
        )
        .await?;
        if i < 3 {
            org(
                app,
                &ctx,
                &mut out.organisations,
                format!("{short}老年协会"),
                "elderly_service_org",
                town,
                d(5, 12),
            )
            .await?;
        }

        // home care assistance for the town's qualifying elderly (at most 30), two services each at the year's end
        // the demo's records are dated 2020: only those aged 60 already then (67 now, at the latest)
        let mut cands = services::candidates(
            app,
            &ctx,
            &services::AreaPage {
                area: None,
                page: Some(1),
            },
        )
        .await
        .map_err(err)?;
        let now = app.today();
        cands
            .items
            .retain(|c| c.age > 60 + (now.year() - 2020).max(0) as u32);
        for (k, c) in cands.items.iter().take(30).enumerate() {
            let voucher = k % 3 == 2;
            let g = services::grant(
                app,
                &ctx,
                services::GrantInput {
                    person: c.person_id.clone(),
                    form: if voucher { "voucher" } else { "hours" }.into(),
                    monthly: if voucher { "200.00" } else { "10" }.into(),
                    provider_id: provider.clone(),
                    starts_on: d(3, 1),
                },
            )
            .await
            .map_err(err)?;
            out.grants += 1;
            for (m, day) in [(11, 5), (12, 7)] {
                services::record_service(
                    app,
                    &ctx,
                    &g.id,
                    services::ServiceInput {
                        served_on: d(m, day),
                        quantity: if voucher { "60.00" } else { "3" }.into(),
                        content: ["助餐", "助洁", "助浴", "助医"][(k + m as usize) % 4].into(),
                        carer: "钱护理".into(),
                    },
                )
                .await
                .map_err(err)?;
            }
        }
        // adaptations for poor households with a member in need (the rule decides; those it refuses are skipped)
        let mut planned = 0;
        for c in cands.items.iter().filter(|c| c.basis != "alone_80") {
            if planned == 6 {
                break;
            }
            let Ok(a) = services::plan_adaptation(
                app,
                &ctx,
                services::AdaptationInput {
                    household: c.person_id.clone(),
                    items: vec!["grab_bars".into(), "non_slip".into(), "alarm".into()],
                    contractor: "江阴安居适老装饰有限公司".into(),
                    planned_on: d(6, 1),
                },
            )
            .await
            else {
                continue;
            };
            planned += 1;
            out.adaptations += 1;
            if planned % 4 != 0 {
                services::accept_adaptation(
                    app,
                    &ctx,
                    &a.id,
                    services::Acceptance {
                        accepted_on: d(8, 10 + planned as u32),
                        cost: "3200.00".into(),
                        subsidy: "3000.00".into(),
                        note: "扶手安装牢固，地面防滑，呼叫器可用".into(),
                        photos: vec![PNG.to_vec()],
                    },
                )
                .await
                .map_err(err)?;
            }
        }
        // family care beds: five of the town's assisted elderly, assessed as dependent first
        let provider_ctx = &ctx;
        for (k, c) in cands.items.iter().rev().take(5).enumerate() {
            assess(
                app,
                provider_ctx,
                &c.person_id,
                2 + (k % 3) as u8 * 2,
                d(5, 20),
            )
            .await?;
            let b = services::open_bed(
                app,
                provider_ctx,
                services::BedInput {
                    person: c.person_id.clone(),
                    provider_id: provider.clone(),
                    contract_number: format!("{short}照护-2020-{:03}", k + 1),
                    contract_start: d(6, 1),
                    contract_end: NaiveDate::from_ymd_opt(2022, 5, 31).expect("date"),
                    monthly_subsidy: "300.00".into(),
                },
            )
            .await
            .map_err(err)?;
            out.beds += 1;
            for m in [7, 9, 11] {
                services::visit(
                    app,
                    provider_ctx,
                    &b.id,
                    services::VisitInput {
                        visited_on: d(m, 12),
                        carer: "孙护理".into(),
                        services: "康复护理、健康监测".into(),
                    },
                )
                .await
                .map_err(err)?;
            }
        }
    }
    Ok(out)
}
