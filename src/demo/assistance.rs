//! Demo assistance on the demo city: about 1 % of residents on dibao, tekun persons, low-income and
//! expenditure families, applications waiting at every step, and a year of payment rolls. Everything goes
//! through the same use cases an officer's clicks do, so the demo data obeys every rule.

use crate::app::assistance::{applications, payments};
use crate::app::authz::{Actor, Role};
use crate::app::{App, Ctx};
use crate::storage::persons::PersonRow;
use chrono::{Duration, NaiveDate};
use minzheng_domain::money::Fen;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

pub(crate) fn actor(role: Role, area: &str, name: &str) -> Ctx {
    Ctx::command_line(
        Actor {
            user_id: None,
            username: format!("demo:{area}"),
            display_name: name.to_string(),
            role,
            area_code: area.to_string(),
            area_level: match role {
                Role::TownOfficer => "town".into(),
                _ => "city".into(),
            },
            sections: crate::app::authz::Section::ALL.to_vec(),
        },
        "demo",
    )
}

fn household_json(members: &[PersonRow], on: NaiveDate) -> Value {
    let ms: Vec<Value> = members
        .iter()
        .map(|m| {
            let age = minzheng_domain::idnumber::age_on(m.birth_date, on);
            let income = Fen(m.monthly_income).to_string();
            let (wage, pension) = if age >= 60 { ("0".to_string(), income) } else { (income, "0".to_string()) };
            json!({
                "id_number": m.id_number,
                "relation": m.relation,
                "status": "normal",
                "employed": m.employed,
                "disability": m.disability_kind.as_ref().map(|k| json!({"kind": k, "grade": m.disability_grade.unwrap_or(4)})),
                "serious_illness": m.serious_illness,
                "self_care_unmet": if age >= 85 { 2 } else { 0 },
                "has_capable_supporter": members.len() > 1 || age < 60,
                "public_payroll": false,
                "monthly_income": {"wage": wage, "business": "0", "property": "0", "transfer": "0", "basic_pension": pension, "excluded": "0"}
            })
        })
        .collect();
    json!({
        "members": ms,
        "assets": {"financial": "3000", "vehicles": [], "residential_properties": 1, "commercial_properties": 0, "enterprise_roles": 0},
        "annual_rigid_expenditure": "0"
    })
}

/// How far an application gets: most are decided, the rest wait at each step.
const STOPS: [&str; 8] = [
    "submitted",
    "accepted",
    "investigated",
    "reviewed",
    "town_publicity",
    "city_review",
    "city_publicity",
    "decide",
];

pub async fn seed(app: &App, seed: u64) -> anyhow::Result<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let persons: i64 = app
        .db
        .conn()
        .scalar("SELECT COUNT(*) FROM persons", vec![])
        .await?;
    // Poor households (per-capita income under the standard) for dibao and tekun, and near-poor ones
    // (1 to 1.5 times the standard) for low-income and expenditure; chosen reproducibly.
    let pick = |lo: i64, hi: i64| {
        format!(
            "SELECT household_id FROM persons WHERE household_id IS NOT NULL GROUP BY household_id \
             HAVING CAST(SUM(monthly_income) AS BIGINT) >= COUNT(*) * {lo} AND CAST(SUM(monthly_income) AS BIGINT) < COUNT(*) * {hi} \
             AND COUNT(*) <= 4 ORDER BY household_id"
        )
    };
    let poor: Vec<(String,)> = app.db.conn().fetch_all(&pick(0, 90_000), vec![]).await?;
    let near: Vec<(String,)> = app
        .db
        .conn()
        .fetch_all(&pick(100_000, 150_000), vec![])
        .await?;
    let take = |v: Vec<(String,)>, n: usize| -> Vec<String> {
        let step = (v.len() / n.max(1)).max(1);
        v.into_iter().step_by(step).take(n).map(|c| c.0).collect()
    };
    // about 1 % of residents on dibao (1 household in 95 residents, ~1.5 persons each, some still in the pipeline or
    // refused): a city of 2,000,000 has about 20,000 active cases
    let mut chosen: Vec<(String, bool)> = take(poor, (persons / 95).max(5) as usize)
        .into_iter()
        .map(|h| (h, true))
        .collect();
    chosen.extend(
        take(near, (persons / 800).max(2) as usize)
            .into_iter()
            .map(|h| (h, false)),
    );
    let city = actor(Role::CityOfficer, &app.areas().city_code, "市局社会救助科");
    // the 2020 standards are in force from 1 January 2020
    let start = NaiveDate::from_ymd_opt(2020, 1, 2).expect("date");
    let mut filed = 0;
    for (hid, poor) in chosen {
        let members = crate::storage::persons::members(&app.db, &hid).await?;
        let applied = start + Duration::days(rng.random_range(0..290));
        // a child born after the application is not part of it
        let members: Vec<PersonRow> = members
            .into_iter()
            .filter(|m| m.birth_date <= applied)
            .collect();
        if members.is_empty() {
            continue;
        }
        let Some(head) = members
            .iter()
            .find(|m| m.relation == "self")
            .or(members.first())
        else {
            continue;
        };
        let town = actor(
            Role::TownOfficer,
            &head.town_code,
            &format!("{}民政办", app.areas().name(&head.town_code)),
        );
        let age = minzheng_domain::idnumber::age_on(head.birth_date, applied);
        let category = match (poor, rng.random_range(0..100)) {
            (true, _) if members.len() == 1 && age >= 60 && rng.random_bool(0.35) => "tekun",
            (true, _) => "dibao",
            (false, 0..=59) => "low_income",
            (false, _) => "expenditure",
        };
        let mut hj = household_json(&members, applied);
        if category == "tekun" {
            hj["members"][0]["has_capable_supporter"] = json!(false);
        }
        if category == "expenditure" {
            // out-of-pocket medical costs that push the household under the standard
            let income: i64 = members.iter().map(|m| m.monthly_income).sum::<i64>() / 100;
            let over = (12 * (income - 1000 * members.len() as i64)).max(0);
            hj["annual_rigid_expenditure"] =
                json!(format!("{}", over + rng.random_range(6_000..30_000)));
        }
        let a = applications::create(
            app,
            &town,
            applications::NewApplication {
                category: category.into(),
                household_id: hid.clone(),
                applicant_id: head.id.clone(),
                authorisation_on: Some(applied),
                bank_account: format!("62284800{:011}", rng.random_range(0..99_999_999_999u64)),
                staff_relative: rng.random_bool(0.02),
                household: hj,
                applied_on: Some(applied),
                supporters_elsewhere: vec![],
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        filed += 1;
        // 85 % go all the way; the rest stop at a step, so every queue has work in it
        // (the first few are placed one at each step, so even a small demo city has every queue)
        let stop = if filed < STOPS.len() {
            STOPS[filed - 1]
        } else if rng.random_bool(0.85) {
            "decide"
        } else {
            STOPS[rng.random_range(0..STOPS.len() - 1)]
        };
        let mut on = applied;
        let mut next = |days: i64| {
            on += Duration::days(days);
            on
        };
        let plan: Vec<(&Ctx, &str, i64)> = vec![
            (&town, "accept", 1),
            (&town, "visit", 3),
            (&town, "check", 1),
            (&town, "community_review", 4),
            (&town, "town_approve", 2),
            (&town, "town_publicity_end", 7),
            (&city, "spot_check", 2),
            (&city, "city_approve", 0),
            (&city, "decide", 7),
        ];
        let stage_after = [
            "accepted",
            "investigated",
            "investigated",
            "reviewed",
            "town_publicity",
            "city_review",
            "city_review",
            "city_publicity",
            "decide",
        ];
        for ((ctx, action, days), reached) in plan.into_iter().zip(stage_after) {
            if stop != "decide"
                && STOPS.iter().position(|s| *s == stop) < STOPS.iter().position(|s| *s == reached)
            {
                break;
            }
            let input = applications::ActionInput {
                action: action.into(),
                on: Some(next(days)),
                staff: vec!["王芳".into(), "陈建国".into()],
                participants: Some(9),
                representatives: Some(7),
                in_favour: Some(9),
                ..Default::default()
            };
            if let Err(e) = applications::act(app, ctx, &a.id, input).await {
                if action == "spot_check" {
                    continue; // not sampled
                }
                // a household the rules do not support is refused, with the rules' own reason
                let reason = format!("经核对不符合条件：{e}");
                let _ = applications::act(
                    app,
                    ctx,
                    &a.id,
                    applications::ActionInput {
                        action: "refuse".into(),
                        on: Some(on),
                        reason,
                        ..Default::default()
                    },
                )
                .await;
                break;
            }
            if stop == reached && stop != "decide" {
                break;
            }
        }
    }
    // a year of payment rolls, each approved
    for m in 1..=12 {
        let month = format!("2020-{m:02}");
        payments::generate(app, &city, &month)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        payments::approve(app, &city, &month)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(filed)
}
