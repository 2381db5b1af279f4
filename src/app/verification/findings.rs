//! Findings: the towns' rectification tasks. An officer confirms one (stop, or adjust from the next month, with the
//! overpayment computed) or dismisses it with a reason.

use crate::app::assistance::applications::month_after;
use crate::app::assistance::cases::{self, CaseEvent};
use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::listing::{Cell, Choice, ListParams, ListSpec, Page, Sheet, SortKey, id_cell};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::storage::{Arg, Tx};
use crate::{args, storage::now};
use chrono::NaiveDate;
use minzheng_domain::money::Fen;
use minzheng_domain::verification::{FindingKind, overpayment};
use serde_json::{Value, json};

/// "机动车登记 第12行；不动产登记 第40行" — the sources and file rows behind a finding.
fn evidence_text(all: &Value) -> String {
    let Some(list) = all.as_array() else {
        return String::new();
    };
    list.iter()
        .map(|e| {
            let code = e["source"].as_str().unwrap_or("");
            let label = match code {
                "registry" => "居民信息库",
                "staff" => "工作人员近亲属备案",
                "cases" => "救助对象",
                c => minzheng_domain::verification::Source::from_code(c).map_or(c, |s| s.label()),
            };
            match e["row"].as_i64() {
                Some(r) => format!("{label} 第{r}行"),
                None => label.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("；")
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct FindingDb {
    id: String,
    run_id: String,
    kind: String,
    case_id: Option<String>,
    person_id: Option<String>,
    household_id: Option<String>,
    area_code: String,
    town_code: String,
    detail: String,
    since: Option<NaiveDate>,
    evidence_json: String,
    status: String,
    decision: Option<String>,
    reason: Option<String>,
    overpayment: Option<i64>,
    decided_by: Option<String>,
    /// Read by lists only (a join to the person).
    #[sqlx(default)]
    person_name: Option<String>,
    #[sqlx(default)]
    id_number: Option<String>,
}

const COLS: &str = "id, run_id, kind, case_id, person_id, household_id, area_code, town_code, detail, since, evidence_json, \
                    status, decision, reason, overpayment, decided_by";

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FindingView {
    pub id: String,
    pub run_id: String,
    pub kind: String,
    pub kind_label: String,
    /// 错保, 人情保 or 漏保.
    pub group: String,
    pub case_id: Option<String>,
    pub person_id: Option<String>,
    pub household_id: Option<String>,
    pub area_code: String,
    pub area_name: String,
    pub town_code: String,
    pub detail: String,
    pub since: Option<NaiveDate>,
    /// The row shown first: `{"source", "load_id", "row"}`.
    #[schema(value_type = Object)]
    pub evidence: Value,
    /// Every row behind the finding.
    #[schema(value_type = Object)]
    pub all_evidence: Value,
    /// The evidence as an officer reads it: 机动车登记 第12行 ….
    pub evidence_text: String,
    /// open, confirmed, dismissed or superseded (a later run replaced it).
    pub status: String,
    pub decision: Option<String>,
    pub reason: Option<String>,
    /// Overpayment in yuan, for a confirmed 错保.
    pub overpayment: Option<String>,
    pub decided_by: Option<String>,
    /// The person concerned, and the identity number masked.
    pub person_name: Option<String>,
    pub id_number_masked: Option<String>,
}

fn view(app: &App, f: FindingDb) -> FindingView {
    let all: Value = serde_json::from_str(&f.evidence_json).unwrap_or(Value::Null);
    let kind = FindingKind::from_code(&f.kind);
    FindingView {
        evidence_text: evidence_text(&all),
        evidence: all.get(0).cloned().unwrap_or(Value::Null),
        all_evidence: all,
        kind_label: kind.map(|k| k.label()).unwrap_or("").into(),
        group: kind.map(|k| k.group()).unwrap_or("").into(),
        area_name: app.areas().name(&f.area_code).to_string(),
        overpayment: f.overpayment.map(|v| Fen(v).to_string()),
        id: f.id,
        run_id: f.run_id,
        kind: f.kind,
        case_id: f.case_id,
        person_id: f.person_id,
        household_id: f.household_id,
        area_code: f.area_code,
        town_code: f.town_code,
        detail: f.detail,
        since: f.since,
        status: f.status,
        decision: f.decision,
        reason: f.reason,
        decided_by: f.decided_by,
        person_name: f.person_name,
        id_number_masked: f.id_number.as_deref().map(minzheng_domain::idnumber::mask),
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct FindingQuery {
    /// A run id; default the latest run.
    pub run: Option<String>,
    /// The kind (the same as `category`).
    pub kind: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FindingPage {
    pub run_id: Option<String>,
    pub items: Vec<FindingView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

const RUN_COLS: &str = "id, scope, on_date, cases, recipients, findings, started_by, started_at, finished_at, towns_json, loads_json";

pub async fn latest_run(app: &App) -> AppResult<Option<RunRow>> {
    Ok(app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {RUN_COLS} FROM verification_runs ORDER BY finished_at DESC, id DESC LIMIT 1"),
            vec![],
        )
        .await?)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct RunRow {
    pub id: String,
    pub scope: String,
    pub on_date: NaiveDate,
    pub cases: i64,
    pub recipients: i64,
    pub findings: i64,
    pub started_by: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: chrono::DateTime<chrono::Utc>,
    pub towns_json: String,
    pub loads_json: String,
}

/// A finding named in a batch's refusal: the person's name, else its description.
const FINDING_LABEL: &str =
    "COALESCE((SELECT p.name FROM persons p WHERE p.id = findings.person_id), findings.detail)";

pub const STATUSES: [(&str, &str); 4] = [
    ("open", "待核实"),
    ("confirmed", "属实"),
    ("dismissed", "不属实"),
    ("superseded", "已被新核对取代"),
];

/// The findings list of a run: searched by the person concerned, filtered by kind (the category), status, area and
/// the date the situation began.
pub fn list_spec() -> ListSpec {
    ListSpec {
        title: "核对疑点",
        from: "findings f LEFT JOIN persons p ON p.id = f.person_id",
        area: ("f.area_code", "f.town_code"),
        person: "{}",
        categories: FindingKind::ALL
            .iter()
            .map(|k| Choice::eq("f.kind", k.code(), k.label()))
            .collect(),
        statuses: STATUSES
            .iter()
            .map(|(c, l)| Choice::eq("f.status", c, l))
            .collect(),
        default_status: None,
        date: Some(("f.since", "发生日期")),
        sorts: vec![
            SortKey {
                key: "kind",
                label: "疑点",
                sql: "f.kind",
            },
            SortKey {
                key: "name",
                label: "姓名",
                sql: "p.name",
            },
            SortKey {
                key: "area",
                label: "所在地",
                sql: "f.area_code",
            },
            SortKey {
                key: "since",
                label: "发生日期",
                sql: "f.since",
            },
            SortKey {
                key: "status",
                label: "状态",
                sql: "f.status",
            },
        ],
        default_sort: ("area", false),
        tiebreak: "f.id",
    }
}

const LIST_COLS: &str = "f.id, f.run_id, f.kind, f.case_id, f.person_id, f.household_id, f.area_code, f.town_code, f.detail, f.since, \
                         f.evidence_json, f.status, f.decision, f.reason, f.overpayment, f.decided_by, p.name AS person_name, p.id_number";

/// The list's request: the shared parameters (`kind` is kept as the category's former name) and the run.
fn list_query(
    app: &App,
    ctx: &Ctx,
    q: &FindingQuery,
    l: &ListParams,
    run: &str,
) -> AppResult<crate::app::listing::Query> {
    ctx.actor.require(Permission::ReadVerification)?;
    let mut l = l.clone();
    if l.category.is_none() {
        l.category = q.kind.clone();
    }
    let mut query = list_spec().query(app, ctx, &l)?;
    query.and("f.run_id = $?", run.into());
    Ok(query)
}

async fn run_of(app: &App, q: &FindingQuery) -> AppResult<Option<String>> {
    Ok(match q.run.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => Some(r.to_string()),
        None => latest_run(app).await?.map(|r| r.id),
    })
}

pub async fn list(
    app: &App,
    ctx: &Ctx,
    q: &FindingQuery,
    l: &ListParams,
) -> AppResult<FindingPage> {
    ctx.actor.require(Permission::ReadVerification)?;
    let Some(run) = run_of(app, q).await? else {
        return Ok(FindingPage {
            run_id: None,
            items: vec![],
            total: 0,
            page: 1,
            pages: 1,
        });
    };
    let page: Page<FindingDb> = list_query(app, ctx, q, l, &run)?
        .page(app, LIST_COLS, l.page_no())
        .await?;
    Ok(FindingPage {
        run_id: Some(run),
        total: page.total,
        page: page.page,
        pages: page.pages,
        items: page.items.into_iter().map(|f| view(app, f)).collect(),
    })
}

/// The filtered findings of a run as a worksheet (audited).
pub async fn export(app: &App, ctx: &Ctx, q: &FindingQuery, l: &ListParams) -> AppResult<Sheet> {
    ctx.actor.require(Permission::ReadVerification)?;
    let spec = list_spec();
    let rows: Vec<FindingDb> = match run_of(app, q).await? {
        Some(run) => {
            list_query(app, ctx, q, l, &run)?
                .all(app, LIST_COLS)
                .await?
        }
        None => vec![],
    };
    crate::app::listing::export_audit(app, ctx, &spec, l, rows.len()).await?;
    let full = l.wants_full();
    let mut sheet = Sheet::new(
        spec.title,
        &[
            "类别",
            "疑点",
            "姓名",
            "身份证号码",
            "所在地",
            "情况",
            "发生日期",
            "证据",
            "状态",
            "处理理由",
            "多发金额（元）",
        ],
    );
    for f in rows {
        let id = f
            .id_number
            .as_deref()
            .map_or(Cell::Blank, |n| id_cell(full, n));
        let over = f.overpayment.map_or(Cell::Blank, Cell::Yuan);
        let v = view(app, f);
        sheet.rows.push(vec![
            v.group.into(),
            v.kind_label.into(),
            v.person_name.into(),
            id,
            v.area_name.into(),
            v.detail.into(),
            v.since.into(),
            v.evidence_text.into(),
            status_label(&v.status).into(),
            v.reason.into(),
            over,
        ]);
    }
    Ok(sheet)
}

pub fn status_label(code: &str) -> &'static str {
    STATUSES.iter().find(|s| s.0 == code).map_or("", |s| s.1)
}

/// Counts of a run by town and kind, within the caller's scope.
pub async fn counts(
    app: &App,
    ctx: &Ctx,
    run: &str,
) -> AppResult<Vec<(String, String, String, i64)>> {
    ctx.actor.require(Permission::ReadVerification)?;
    let (cond, a) = ctx.actor.scope_filter().sql("area_code", "town_code", 2);
    let mut args: Vec<Arg> = vec![Arg::from(run)];
    args.extend(a);
    let cond = format!("run_id = $1 AND {cond}");
    Ok(app
        .db
        .conn()
        .fetch_all(
            &format!("SELECT town_code, kind, status, COUNT(*) FROM findings WHERE {cond} GROUP BY town_code, kind, status ORDER BY town_code, kind, status"),
            args,
        )
        .await?)
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> AppResult<FindingView> {
    ctx.actor.require(Permission::ReadVerification)?;
    let f: Option<FindingDb> = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {COLS} FROM findings WHERE id = $1"),
            args![id],
        )
        .await?;
    match f {
        Some(f) if ctx.actor.in_scope(&f.area_code) => Ok(view(app, f)),
        _ => Err(AppError::NotFound("核对疑点".into())),
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = FindingDecision)]
pub struct Decision {
    /// confirm or dismiss
    pub decision: String,
    /// For a confirmed 错保: stop (停保) or adjust (re-assess without the member: death, moved_away, custody).
    pub action: Option<String>,
    /// First month of the change, YYYY-MM (default: the month after today).
    pub from_month: Option<String>,
    #[serde(default)]
    pub reason: String,
}

/// Confirms or dismisses an open finding; a confirmed 错保 stops or adjusts its case in the same transaction.
pub async fn decide(app: &App, ctx: &Ctx, id: &str, d: Decision) -> AppResult<FindingView> {
    ctx.actor.require(Permission::HandleFindings)?;
    let mut tx = app.db.begin().await?;
    decide_in(app, ctx, &mut tx, id, &d).await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

/// 批量处置疑点: one decision and one reason for every chosen finding, all or nothing (any finding that cannot be
/// decided — already decided, outside the caller's area — is named and nothing is written).
pub async fn decide_batch(app: &App, ctx: &Ctx, ids: &[String], d: &Decision) -> AppResult<usize> {
    ctx.actor.require(Permission::HandleFindings)?;
    crate::app::listing::batch_size(ids)?;
    let mut tx = app.db.begin().await?;
    let mut errors = vec![];
    for id in ids {
        match decide_in(app, ctx, &mut tx, id, d).await {
            Ok(()) => {}
            Err(e @ (AppError::Internal(_) | AppError::Forbidden(_))) => return Err(e),
            // the reason is the same for all: one message is enough
            Err(e @ AppError::Invalid { .. }) if d.reason.trim().chars().count() < 4 => {
                return Err(e);
            }
            Err(e) => errors.push(
                crate::app::listing::item_error(&mut tx, "findings", FINDING_LABEL, id, &e).await,
            ),
        }
    }
    crate::app::listing::batch_outcome(errors)?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("finding.batch_decide", "finding", ids.len().to_string()).after(json!({
            "count": ids.len(),
            "decision": d.decision,
            "action": d.action,
            "reason": d.reason.trim(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}

async fn decide_in(app: &App, ctx: &Ctx, tx: &mut Tx, id: &str, d: &Decision) -> AppResult<()> {
    let reason = d.reason.trim().to_string();
    if reason.chars().count() < 4 {
        return Err(AppError::invalid(
            "reason",
            "请写明核实情况和处理理由（至少4个字）",
        ));
    }
    // locked: two officers deciding the same finding at once must not both stop its case
    let lock = tx.for_update();
    let f: Option<FindingDb> = tx
        .fetch_optional(
            &format!("SELECT {COLS} FROM findings WHERE id = $1{lock}"),
            args![id],
        )
        .await?;
    let f = match f {
        Some(f) if ctx.actor.in_scope(&f.area_code) => f,
        _ => return Err(AppError::NotFound("核对疑点".into())),
    };
    if f.status != "open" {
        return Err(AppError::conflict("id", "该疑点已处理或已被新一轮核对取代"));
    }
    let kind = FindingKind::from_code(&f.kind)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown kind")))?;
    let mut over: Option<i64> = None;
    let mut action: Option<String> = None;
    match d.decision.as_str() {
        "dismiss" => {}
        "confirm" if !kind.is_wrongful() => {}
        "confirm" => {
            let case_id = f
                .case_id
                .clone()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("错保 without a case")))?;
            let from = d
                .from_month
                .clone()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| month_after(app.today()));
            let act = d.action.clone().unwrap_or_else(|| "stop".into());
            let note = format!("核对疑点核实：{}。{}", kind.label(), reason);
            // what is due each month from now on: nothing after a stop, the new amount after an adjustment
            let due = match act.as_str() {
                "stop" => {
                    cases::stop_in(app, ctx, &mut *tx, &case_id, &from, &note).await?;
                    Fen::ZERO
                }
                "adjust" => {
                    let ev_kind = match kind {
                        FindingKind::Death => "death",
                        // a member in custody or gone from the city no longer counts in the household
                        FindingKind::MovedAway | FindingKind::Custody => "moved_away",
                        _ => {
                            return Err(AppError::invalid(
                                "action",
                                "此类疑点只能停保；调整适用于死亡、迁出、服刑戒毒",
                            ));
                        }
                    };
                    let change = cases::record_event_in(
                        app,
                        ctx,
                        &mut *tx,
                        &case_id,
                        CaseEvent {
                            kind: ev_kind.into(),
                            person_id: f.person_id.clone(),
                            on: f.since.filter(|d| *d <= app.today()),
                            monthly_wage: None,
                            note,
                        },
                    )
                    .await?;
                    Fen(change.new_amount)
                }
                _ => {
                    return Err(AppError::invalid(
                        "action",
                        "处理方式应为 stop（停保）或 adjust（调整）",
                    ));
                }
            };
            let paid: Vec<(String, i64)> = tx
                .fetch_all(
                    "SELECT l.month_for, l.amount FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id \
                     WHERE l.case_id = $1 AND r.status = 'approved' AND l.status <> 'failed'",
                    args![&case_id],
                )
                .await?;
            let paid: Vec<(String, Fen)> = paid.into_iter().map(|(m, a)| (m, Fen(a))).collect();
            over = Some(overpayment(&paid, f.since, due).0);
            action = Some(act);
        }
        _ => {
            return Err(AppError::invalid(
                "decision",
                "处理结论应为 confirm（属实）或 dismiss（不属实）",
            ));
        }
    }
    let status = if d.decision == "confirm" {
        "confirmed"
    } else {
        "dismissed"
    };
    let decision = action.clone().unwrap_or_else(|| d.decision.clone());
    let changed = tx
        .execute(
            "UPDATE findings SET status = $2, decision = $3, reason = $4, overpayment = $5, decided_by = $6, decided_at = $7 WHERE id = $1 AND status = 'open'",
            args![id, status, &decision, &reason, over, &ctx.actor.display_name, now()],
        )
        .await?;
    if changed != 1 {
        return Err(AppError::conflict("id", "该疑点已处理或已被新一轮核对取代"));
    }
    audit::record(
        &mut *tx,
        ctx,
        Event::new("finding.decide", "finding", id)
            .area(&f.area_code)
            .before(json!({"status": "open"}))
            .after(json!({"status": status, "decision": decision, "reason": reason, "overpayment": over})),
    )
    .await?;
    Ok(())
}

/// 精准救助率 (T10.1) from the latest run, within the caller's scope.
pub async fn precision_rate(app: &App, ctx: &Ctx) -> AppResult<Option<super::PrecisionRate>> {
    let today = app.today();
    // PostgreSQL dates start at 4713 BC: any early date will do
    let ever = NaiveDate::from_ymd_opt(1900, 1, 1).expect("date");
    precision_rate_between(app, ctx, ever, today).await
}

/// As [`precision_rate`], from the latest run whose check date falls between `from` and `until` (a year's figure
/// comes from that year's runs).
pub async fn precision_rate_between(
    app: &App,
    ctx: &Ctx,
    from: NaiveDate,
    until: NaiveDate,
) -> AppResult<Option<super::PrecisionRate>> {
    ctx.actor.require(Permission::ReadVerification)?;
    let run: Option<RunRow> = app
        .db
        .conn()
        .fetch_optional(
            &format!(
                "SELECT {RUN_COLS} FROM verification_runs WHERE on_date >= $1 AND on_date <= $2 \
                 ORDER BY on_date DESC, finished_at DESC, id DESC LIMIT 1"
            ),
            args![from, until],
        )
        .await?;
    let Some(run) = run else { return Ok(None) };
    let towns: Vec<(String, i64)> = serde_json::from_str(&run.towns_json).unwrap_or_default();
    let wrongful: Vec<String> = FindingKind::ALL
        .iter()
        .filter(|k| k.is_wrongful())
        .map(|k| format!("'{}'", k.code()))
        .collect();
    // recipients of cases with a standing 错保 finding (open or confirmed) are not precisely assisted
    let bad: Vec<(String, i64)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT c.town_code, COUNT(*) FROM case_members m JOIN cases c ON c.id = m.case_id \
                 WHERE m.case_id IN (SELECT case_id FROM findings WHERE run_id = $1 AND kind IN ({}) AND status IN ('open', 'confirmed')) \
                 GROUP BY c.town_code",
                wrongful.join(", ")
            ),
            args![&run.id],
        )
        .await?;
    let by_town: Vec<(String, i64, i64)> = towns
        .into_iter()
        .filter(|(t, _)| ctx.actor.in_scope(t) || t.starts_with(&ctx.actor.area_code))
        .map(|(t, n)| {
            let b = bad.iter().find(|x| x.0 == t).map(|x| x.1).unwrap_or(0);
            (t, n, (n - b).max(0))
        })
        .collect();
    // a village worker's scope is smaller than a town: the town figures are not theirs to see
    let by_town = if ctx.actor.area_level == "village" {
        Vec::new()
    } else {
        by_town
    };
    Ok(Some(super::PrecisionRate {
        run_id: run.id,
        finished_at: run.finished_at.timestamp_micros(),
        recipients: by_town.iter().map(|t| t.1).sum(),
        eligible: by_town.iter().map(|t| t.2).sum(),
        by_town,
    }))
}
