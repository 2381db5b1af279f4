//! The demo bureau's welfare lines at work: the old-age allowance (standards, most residents aged 80+ with an
//! account) and the disability subsidies (standards, and grants at every step for disabled members of the demo's
//! dibao households and severely disabled residents, filed from the 漏保 leads as a town would).

use super::assistance::actor;
use crate::app::App;
use crate::app::authz::Role;
use crate::app::disability::{self, GradeCheck, GrantDecision, NewGrant};
use crate::app::elderly::allowance;
use chrono::NaiveDate;
use minzheng_domain::disability::Exclusions;

pub struct Seeded {
    pub accounts: u64,
    pub grants: usize,
}

pub async fn seed(app: &App) -> anyhow::Result<Seeded> {
    let city_code = app.areas().city_code.clone();
    let elderly = actor(Role::CityOfficer, &city_code, "市局养老服务科");
    let affairs = actor(Role::CityOfficer, &city_code, "市局社会事务科");
    let err = |e: crate::app::AppError| anyhow::anyhow!("{e}");
    // the demo's 2020 rolls are approved: the bureau's standards take effect from January 2021
    for (band, amount) in [
        ("80_89", "50.00"),
        ("90_99", "100.00"),
        ("100_plus", "300.00"),
    ] {
        allowance::set_standard(
            app,
            &elderly,
            allowance::NewStandard {
                band: band.into(),
                effective_from: "2021-01".into(),
                monthly_amount: amount.into(),
                reason: "演示标准（以市政府文件为准）".into(),
            },
        )
        .await
        .map_err(err)?;
    }
    for (tier, amount) in [
        ("standard", "100.00"),
        ("severe", "150.00"),
        ("moderate", "80.00"),
    ] {
        disability::set_standard(
            app,
            &affairs,
            disability::NewStandard {
                tier: tier.into(),
                effective_from: "2021-01".into(),
                monthly_amount: amount.into(),
                reason: "演示标准（以市局文件为准）".into(),
            },
        )
        .await
        .map_err(err)?;
    }
    // accounts for the residents aged 80+ (one in ten still missing, for the towns to complete), in one statement
    let mut tx = app.db.begin().await?;
    tx.unaudited(
        "the demo's welfare standards, seeded with the demo city (audited as demo.generate)",
    );
    let accounts = tx
        .execute(
            "INSERT INTO payee_accounts (person_id, bank_account, recorded_by, recorded_at) \
             SELECT id, '62284800' || substr(id_number, 7, 11), '演示数据', $1 FROM persons \
             WHERE birth_date <= $2 AND status = 'normal' AND substr(id_number, 16, 1) <> '0'",
            crate::args![
                crate::storage::now(),
                NaiveDate::from_ymd_opt(1946, 12, 31).expect("date")
            ],
        )
        .await?;
    tx.commit().await?;

    // grants from the leads, town by town: most decided, some waiting for the 残联 or the county
    let leads = disability::leads(app, &affairs, None).await.map_err(err)?;
    let d = |m, day| NaiveDate::from_ymd_opt(2020, m, day).expect("date");
    let mut grants = 0;
    let living = leads
        .items
        .iter()
        .filter(|l| l.programme == "living")
        .take(30);
    let care = leads
        .items
        .iter()
        .filter(|l| l.programme == "care")
        .take(30);
    for (i, l) in living.chain(care).enumerate() {
        let person = crate::storage::persons::get(&app.db, &l.person_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("lead without a person"))?;
        let town = actor(Role::TownOfficer, &person.town_code, "镇(街道)民政办");
        let filed = disability::file(
            app,
            &town,
            NewGrant {
                person_id: l.person_id.clone(),
                programme: l.programme.clone(),
                needs_long_term_care: l.programme == "care",
                exclusions: Exclusions::default(),
                bank_account: format!("62284800{}", &person.id_number[6..17]),
                filed_on: d(12, 1),
            },
        )
        .await;
        // a lead the rules do not take (e.g. a grade the care subsidy does not cover) stays a lead
        let Ok(g) = filed else { continue };
        grants += 1;
        if i % 6 == 5 {
            continue; // waiting for the 残联
        }
        disability::check_grade(
            app,
            &affairs,
            &g.id,
            GradeCheck {
                confirmed: true,
                on: d(12, 4),
                note: "残联核定等级属实".into(),
            },
        )
        .await
        .map_err(err)?;
        if i % 6 == 4 {
            continue; // waiting for the county
        }
        disability::decide(
            app,
            &affairs,
            &g.id,
            GrantDecision {
                approve: true,
                on: d(12, 10),
                note: "符合条件，同意".into(),
            },
        )
        .await
        .map_err(err)?;
    }
    Ok(Seeded { accounts, grants })
}
