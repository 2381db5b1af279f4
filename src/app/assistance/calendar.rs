//! Working-day calendars per year, imported from CSV (date,kind,name); 2020 ships with the platform.

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use chrono::{Datelike, NaiveDate};
use minzheng_domain::calendar::{CalendarEntry, DayKind, WorkCalendar};

pub const HOLIDAYS_2020: &str = include_str!("../../../data/holidays-2020.csv");

/// Replaces the listed years' days with the file's, all or nothing.
pub async fn import(app: &App, ctx: &Ctx, csv: &str) -> AppResult<usize> {
    ctx.actor.require(Permission::ManageStandards)?;
    let cal = WorkCalendar::from_csv(csv).map_err(|e| AppError::invalid("file", e.to_string()))?;
    let entries: Vec<CalendarEntry> = cal.entries().collect();
    let mut years: Vec<i32> = entries.iter().map(|e| e.date.year()).collect();
    years.sort();
    years.dedup();
    let mut tx = app.db.begin().await?;
    for y in &years {
        tx.execute("DELETE FROM calendar_days WHERE year = $1", args![*y])
            .await?;
    }
    for e in &entries {
        tx.execute(
            "INSERT INTO calendar_days (day, year, kind, name) VALUES ($1, $2, $3, $4)",
            args![e.date, e.date.year(), e.kind.code(), &e.name],
        )
        .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new(
            "calendar.import",
            "calendar",
            years
                .iter()
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )
        .after(serde_json::json!({"days": entries.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(entries.len())
}

pub async fn seed(app: &App) -> anyhow::Result<()> {
    if app
        .db
        .conn()
        .scalar("SELECT COUNT(*) FROM calendar_days", vec![])
        .await?
        > 0
    {
        return Ok(());
    }
    let ctx = Ctx {
        actor: crate::app::authz::Actor::system(&app.areas().city_code),
        ip: "cli".into(),
    };
    import(app, &ctx, HOLIDAYS_2020)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// The whole calendar (a few dozen rows a year).
pub async fn load(app: &App) -> AppResult<WorkCalendar> {
    let rows: Vec<(NaiveDate, String, String)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT day, kind, name FROM calendar_days ORDER BY day",
            vec![],
        )
        .await?;
    Ok(WorkCalendar::new(rows.into_iter().filter_map(
        |(date, kind, name)| {
            Some(CalendarEntry {
                date,
                kind: DayKind::from_code(&kind)?,
                name,
            })
        },
    )))
}
