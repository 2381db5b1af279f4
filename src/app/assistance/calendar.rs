//! Working-day calendars per year, imported from CSV (date,kind,name); 2020 ships with the platform.

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use chrono::{Datelike, NaiveDate};
use minzheng_domain::calendar::{CalendarEntry, DayKind, WorkCalendar};

pub const HOLIDAYS_2020: &str = include_str!("../../../data/holidays-2020.csv");
/// The State Council's arrangements 2021–2026 (as published each December; checked against chinese-calendar 1.11.0).
pub const HOLIDAYS_2021_2026: &str = include_str!("../../../data/holidays-2021-2026.csv");

/// Replaces the listed years' days with the file's, all or nothing.
pub async fn import(app: &App, ctx: &Ctx, csv: &str) -> AppResult<usize> {
    ctx.actor.require(Permission::ManageCalendar)?;
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

/// Imports each shipped year the database does not hold yet (an upgraded database gets the new years; a year the
/// bureau imported itself is never replaced).
pub async fn seed(app: &App) -> anyhow::Result<()> {
    let have: Vec<(i64,)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT DISTINCT CAST(year AS BIGINT) FROM calendar_days",
            vec![],
        )
        .await?;
    let have: std::collections::HashSet<i32> = have.into_iter().map(|(y,)| y as i32).collect();
    let ctx = Ctx::internal(
        crate::app::authz::Actor::system(&app.areas().city_code),
        "cli",
    );
    for shipped in [HOLIDAYS_2020, HOLIDAYS_2021_2026] {
        let missing: String = shipped
            .lines()
            .enumerate()
            .filter(|(i, l)| {
                *i == 0
                    || l.get(..4)
                        .and_then(|y| y.parse::<i32>().ok())
                        .is_some_and(|y| !have.contains(&y))
            })
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        if missing.lines().count() > 1 {
            import(app, &ctx, &missing)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(())
}

/// The years a calendar was imported for: a deadline in any other year is counted Monday to Friday only, and says so.
pub async fn years(app: &App) -> AppResult<Vec<i32>> {
    let rows: Vec<(i64,)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT DISTINCT CAST(year AS BIGINT) FROM calendar_days ORDER BY 1",
            vec![],
        )
        .await?;
    Ok(rows.into_iter().map(|(y,)| y as i32).collect())
}

/// The warning a deadline carries when its year has no imported calendar.
pub fn uncovered_note(years: &[i32], due: Option<NaiveDate>) -> Option<String> {
    let d = due?;
    (!years.contains(&d.year())).then(|| {
        format!(
            "{}年的节假日安排尚未导入，该期限按周一至周五计算，可能不准确",
            d.year()
        )
    })
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
