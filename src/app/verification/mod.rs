//! Verification and rectification (plan items 9, 10, 25; DOMAIN §4.8–4.10): departmental source loads, checks of
//! every active case, 错保/人情保/漏保 findings, early warnings and grid tasks.

pub mod findings;
pub mod gather;
pub mod runs;
pub mod sources;
pub mod staff;
pub mod tasks;

use super::{App, AppResult, Ctx};

/// 精准救助率 (target T10.1) from the latest complete verification run, within the viewer's scope:
/// recipients whose latest check found nothing that makes them ineligible, out of all recipients checked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PrecisionRate {
    pub run_id: String,
    /// UTC microseconds.
    pub finished_at: i64,
    pub recipients: i64,
    pub eligible: i64,
    /// (town code, recipients, eligible), towns in the viewer's scope.
    pub by_town: Vec<(String, i64, i64)>,
}

/// `None` when no verification run has completed yet.
pub async fn precision_rate(app: &App, ctx: &Ctx) -> AppResult<Option<PrecisionRate>> {
    findings::precision_rate(app, ctx).await
}

/// The precision rate of a year: from the latest run checked in that year up to `until` (its judging day).
pub async fn precision_rate_of_year(
    app: &App,
    ctx: &Ctx,
    year: i32,
    until: chrono::NaiveDate,
) -> AppResult<Option<PrecisionRate>> {
    let from = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(until);
    findings::precision_rate_between(app, ctx, from, until).await
}
