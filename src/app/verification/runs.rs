//! A verification run: every active case in the caller's scope checked against every source (动态核对), plus the
//! 人情保 and 漏保 scans. Findings are written with the run in one transaction; the run answers when complete.

use super::gather::{self, RowsById, SourceState};
use crate::app::assistance::standards;
use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::storage::persons::{AreaFilter, PersonRow};
use crate::storage::{Arg, Backend, new_id, now, placeholders};
use crate::{args, storage::Db};
use chrono::{Datelike, NaiveDate};
use minzheng_domain::assistance::{
    Assets, Category, Disability, DisabilityKind, Household, Member, MemberStatus, MonthlyIncome,
    Relation, Standards, read_frozen, validate,
};
use minzheng_domain::idnumber::IdNumber;
use minzheng_domain::money::Fen;
use minzheng_domain::verification::{self as rules, Finding, FindingKind, SourceRow};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Instant;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RunRequest {
    /// The check date (default today): income windows, custody and deaths are judged on it.
    pub on: Option<NaiveDate>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RunSummary {
    pub run_id: String,
    pub findings: i64,
    pub cases: i64,
    pub recipients: i64,
    /// Milliseconds spent on the cases (错保), 人情保 and 漏保.
    pub cases_ms: u64,
    /// Of `cases_ms`: reading and parsing the cases' frozen households, and gathering the source rows (with the
    /// reading of the loads' filters, which runs while the households are read, so the two can overlap).
    pub households_ms: u64,
    pub gather_ms: u64,
    pub relatives_ms: u64,
    pub missed_ms: u64,
}

/// A finding on its way to the table.
struct NewFinding {
    kind: FindingKind,
    case_id: Option<String>,
    person_id: Option<String>,
    household_id: Option<String>,
    area_code: String,
    town_code: String,
    detail: String,
    since: Option<NaiveDate>,
    evidence: Value,
}

fn evidence_json(ev: &[rules::Evidence]) -> Value {
    Value::Array(
        ev.iter()
            .map(|e| json!({"source": e.source, "load_id": e.load_id, "row": e.row}))
            .collect(),
    )
}

fn registry_evidence(what: &str, id: &str) -> Value {
    json!([{"source": what, "load_id": null, "row": null, "ref": id}])
}

struct CaseIn {
    id: String,
    category: String,
    household_id: String,
    area_code: String,
    town_code: String,
    /// Members of the case (case_members).
    recipients: i64,
    /// In 渐退: still paid and still checked, but its income is above the standard by definition.
    phasing_out: bool,
}

/// The frozen household of a case as the assessment sees it on `on`.
pub fn case_household(
    hj: &str,
    area_code: &str,
    on: NaiveDate,
    today: NaiveDate,
) -> Option<Household> {
    if let Some(h) = read_frozen(hj, on, today) {
        return Some(h);
    }
    let mut v: Value = serde_json::from_str(hj).ok()?;
    if v.get("area_code").is_none() {
        v["area_code"] = json!(area_code);
    }
    let mut req = serde_json::Map::with_capacity(2);
    req.insert("as_of".into(), json!(on));
    req.insert("household".into(), v);
    validate(&Value::Object(req), today, |_| true)
        .ok()
        .map(|r| r.household)
}

/// A registry household as the assessment sees it (what 漏保 asks: would these people qualify?). The registry keeps
/// one monthly income per person: a wage before 60, a pension after; no assets (the sources add them).
pub fn registry_household(
    members: &[PersonRow],
    on: NaiveDate,
    today: NaiveDate,
) -> Option<Household> {
    let ms: Vec<(&PersonRow, u32)> = members
        .iter()
        .filter(|p| p.status == "normal" && p.birth_date <= on)
        .map(|p| (p, minzheng_domain::idnumber::age_on(p.birth_date, on)))
        .collect();
    let mut out = Vec::with_capacity(ms.len());
    for (p, age) in &ms {
        let income = Fen(p.monthly_income);
        let (wage, pension) = if *age >= 60 {
            (Fen::ZERO, income)
        } else {
            (income, Fen::ZERO)
        };
        out.push(Member {
            id_number: IdNumber::parse(&p.id_number, today).ok()?,
            relation: Relation::from_code(&p.relation).unwrap_or(Relation::Other),
            status: MemberStatus::Normal,
            employed: p.employed,
            disability: match (
                p.disability_kind
                    .as_deref()
                    .and_then(DisabilityKind::from_code),
                p.disability_grade,
            ) {
                (Some(kind), Some(g)) => Some(Disability {
                    kind,
                    grade: g as u8,
                }),
                _ => None,
            },
            serious_illness: p.serious_illness,
            self_care_unmet: 0,
            // the registry does not know supporters living elsewhere: assume there is one (no tekun from the registry alone)
            has_capable_supporter: true,
            public_payroll: false,
            monthly_income: MonthlyIncome {
                wage,
                basic_pension: pension,
                ..Default::default()
            },
        });
    }
    Some(Household {
        area_code: members.first()?.area_code.clone(),
        members: out,
        assets: Assets::default(),
        annual_rigid_expenditure: Fen::ZERO,
    })
}

fn rows_of<'a>(h: &Household, rows: &'a RowsById) -> Vec<&'a [SourceRow]> {
    h.members
        .iter()
        .map(|m| {
            rows.get(m.id_number.as_str())
                .map_or(&[][..], Vec::as_slice)
        })
        .collect()
}

/// `f` over the two halves of `items` on two threads (pure work: the rules over thousands of cases), outside the
/// async scheduler where the runtime allows it.
fn on_both_cores<'a, T: Sync, R: Send>(
    items: &'a [T],
    f: impl Fn(&'a [T]) -> Vec<R> + Sync,
) -> Vec<R> {
    let (a, b) = items.split_at(items.len().div_ceil(2));
    crate::storage::blocking(|| {
        std::thread::scope(|s| {
            let other = s.spawn(|| f(b));
            let mut out = f(a);
            out.extend(other.join().expect("the rules do not panic"));
            out
        })
    })
}

type CaseRow = (String, String, String, String, String, String, i64, i64);

/// The active cases `sql` selects, with their frozen households as the assessment sees them on `on`. On SQLite the
/// table is read in two rowid ranges on two connections, each part parsing what it read: reading 15 MB of household
/// texts and parsing them had taken one core while the other waited.
async fn cases_with_households(
    db: &Db,
    sql: &str,
    args: Vec<Arg>,
    on: NaiveDate,
    today: NaiveDate,
) -> AppResult<Vec<(CaseIn, Option<Household>)>> {
    let ranges: Vec<Option<(i64, i64)>> = match db.backend() {
        Backend::Sqlite => {
            let (lo, hi): (Option<i64>, Option<i64>) = db
                .conn()
                .fetch_one("SELECT MIN(rowid), MAX(rowid) FROM cases", vec![])
                .await?;
            match (lo, hi) {
                (Some(lo), Some(hi)) => {
                    let mid = lo + (hi - lo) / 2;
                    vec![Some((lo, mid)), Some((mid + 1, hi))]
                }
                _ => return Ok(Vec::new()),
            }
        }
        Backend::Postgres => vec![None],
    };
    let parts: Vec<_> = ranges
        .into_iter()
        .map(|range| {
            let (db, mut sql, mut args) = (db.clone(), sql.to_string(), args.clone());
            if let Some((from, to)) = range {
                let n = args.len();
                sql.push_str(&format!(" AND c.rowid BETWEEN ${} AND ${}", n + 1, n + 2));
                args.extend([Arg::from(from), Arg::from(to)]);
            }
            tokio::spawn(async move {
                let rows: Vec<CaseRow> = db.reader().await?.select(&sql, args).await?;
                let parsed = tokio::task::spawn_blocking(move || {
                    rows.into_iter()
                        .map(
                            |(
                                id,
                                category,
                                household_id,
                                area_code,
                                town_code,
                                hj,
                                recipients,
                                phasing,
                            )| {
                                let h = case_household(&hj, &area_code, on, today);
                                let c = CaseIn {
                                    id,
                                    category,
                                    household_id,
                                    area_code,
                                    town_code,
                                    recipients,
                                    phasing_out: phasing != 0,
                                };
                                (c, h)
                            },
                        )
                        .collect::<Vec<_>>()
                });
                parsed.await.map_err(|e| AppError::Internal(e.into()))
            })
        })
        .collect();
    let mut out = Vec::new();
    for p in parts {
        out.extend(p.await.map_err(|e| AppError::Internal(e.into()))??);
    }
    // sorted here: SQLite would sort the rows, household texts and all, in a temporary B-tree
    out.sort_unstable_by(|x, y| x.0.id.cmp(&y.0.id));
    Ok(out)
}

fn scope_sql(f: &AreaFilter, area: &str, town: &str, idx: usize) -> (String, Vec<Arg>) {
    let (c, a) = f.sql(area, town, idx);
    (c, a.into_iter().collect())
}

pub async fn run(app: &App, ctx: &Ctx, req: RunRequest) -> AppResult<RunSummary> {
    ctx.actor.require(Permission::LoadSources)?;
    let today = app.today();
    let on = req.on.unwrap_or(today);
    if on > today {
        return Err(AppError::invalid("on", "核对日期不能晚于今天"));
    }
    let s = standards::in_force(app, on)
        .await?
        .ok_or_else(|| AppError::invalid("on", format!("{on}没有生效的救助标准")))?;
    let city = app.areas().city_code.chars().take(6).collect::<String>();
    let scope = ctx.actor.scope_filter();
    let started = now();
    let db = &app.db;

    // 错保: every active case against every source
    let t0 = Instant::now();
    let (cond, a) = scope_sql(&scope, "c.area_code", "c.town_code", 1);
    // A run over the whole city reads nearly every case: SQLite would walk the status index and seek each row,
    // 2.5 times the cost of reading the table in order. A case keeps its own frozen household (since migration 0005);
    // the application's is looked up only for one that does not.
    let cases = match (db.backend(), &scope) {
        (Backend::Sqlite, AreaFilter::Everything | AreaFilter::Prefix(_)) => "cases c NOT INDEXED",
        _ => "cases c",
    };
    let cases_sql = format!(
        "SELECT c.id, c.category, c.household_id, c.area_code, c.town_code, COALESCE(c.household_json, a.household_json, '') AS hj, \
         (SELECT COUNT(*) FROM case_members m WHERE m.case_id = c.id) AS recipients, \
         CAST(CASE WHEN c.status = 'phasing_out' THEN 1 ELSE 0 END AS BIGINT) AS phasing \
         FROM {cases} LEFT JOIN applications a ON c.household_json IS NULL AND a.id = c.application_id \
         WHERE c.status IN ('active', 'phasing_out') AND {cond}"
    );
    // Recipients and residents per village (for 人情保's coverage and the precision rate). A scope of whole towns
    // (a town or wider) counts its recipients from the cases read here; a village worker's coverage compares the
    // village with its whole town, whose recipients are counted apart. Residents are counted on another connection
    // while the cases are read and checked.
    let whole_towns = !matches!(scope, AreaFilter::Village(_));
    let counts = {
        let db = db.clone();
        tokio::spawn(async move {
            let recipients = async {
                match whole_towns {
                    true => Ok(None),
                    false => recipients_per_area(&db).await.map(Some),
                }
            };
            tokio::try_join!(recipients, residents_per_area(&db))
        })
    };
    // the loads and their filters are read while the cases are
    let plan = {
        let db = db.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            gather::plan(&db, on).await.map(|p| (p, t.elapsed()))
        })
    };
    let checked = cases_with_households(db, &cases_sql, a.clone(), on, today).await?;
    let households_ms = t0.elapsed().as_millis() as u64;
    let mut ids: Vec<String> = checked
        .iter()
        .filter_map(|(_, h)| h.as_ref())
        .flat_map(|h| h.members.iter().map(|m| m.id_number.as_str().to_string()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let t1 = Instant::now();
    let (plan, planning) = plan.await.map_err(|e| AppError::Internal(e.into()))??;
    let rows = gather::rows_planned(db, std::sync::Arc::new(plan), &ids).await?;
    // counted with the reading of the loads' filters, although that ran while the cases were read
    let gather_ms = (t1.elapsed() + planning).as_millis() as u64;
    let hits: Vec<(&CaseIn, &Household, Finding)> = on_both_cores(&checked, |part| {
        let mut hits = Vec::new();
        for (c, h) in part {
            let Some(h) = h else {
                tracing::warn!(case = %c.id, "a case's household could not be read; not checked");
                continue;
            };
            let Some(cat) = Category::from_code(&c.category) else {
                continue;
            };
            for f in rules::check_case(cat, h, &rows_of(h, &rows), on, &s, &city) {
                if c.phasing_out && f.kind == FindingKind::Income {
                    continue;
                }
                hits.push((c, h, f));
            }
        }
        hits
    });
    // registry ids of the members found, not of every recipient
    let mut named: Vec<String> = hits
        .iter()
        .filter_map(|(_, h, f)| f.member.and_then(|i| h.members.get(i)))
        .map(|m| m.id_number.as_str().to_string())
        .collect();
    named.sort_unstable();
    named.dedup();
    let persons = gather::person_ids(db, &named).await?;
    let as_of: HashMap<String, NaiveDate> = db
        .conn()
        .fetch_all::<(String, NaiveDate)>("SELECT id, as_of FROM source_loads", vec![])
        .await?
        .into_iter()
        .collect();
    let mut found: Vec<NewFinding> = hits
        .into_iter()
        .map(|(c, h, f)| case_finding(c, h, &persons, &as_of, f))
        .collect();
    let cases_ms = t0.elapsed().as_millis() as u64;

    let (recipients_counted, residents) =
        counts.await.map_err(|e| AppError::Internal(e.into()))??;
    let recipients_per_area = recipients_counted.unwrap_or_else(|| {
        let mut per: HashMap<(&str, &str), i64> = HashMap::new();
        for (c, _) in checked.iter() {
            *per.entry((&c.area_code, &c.town_code)).or_default() += c.recipients;
        }
        per.into_iter()
            .map(|((a, t), n)| (a.to_string(), t.to_string(), n))
            .collect()
    });
    // recipients per town, for the precision rate (T10.1)
    let mut per_town: std::collections::BTreeMap<&str, i64> = Default::default();
    for (area, town, n) in &recipients_per_area {
        if scope_contains(&scope, area, town) {
            *per_town.entry(town).or_default() += n;
        }
    }
    let towns: Vec<(&str, i64)> = per_town.into_iter().collect();
    let recipients: i64 = towns.iter().map(|t| t.1).sum();

    // 人情保
    let t1 = Instant::now();
    unregistered_relatives(db, &scope, &mut found).await?;
    let case_towns: HashSet<&str> = checked.iter().map(|(c, _)| c.town_code.as_str()).collect();
    coverage_outliers(
        &scope,
        app,
        &case_towns,
        &recipients_per_area,
        &residents,
        &mut found,
    );
    let relatives_ms = t1.elapsed().as_millis() as u64;

    // 漏保
    let t2 = Instant::now();
    missed(db, &scope, on, today, &s, &city, &mut found).await?;
    let missed_ms = t2.elapsed().as_millis() as u64;

    let states = gather::source_states(db).await?;
    let run_id = new_id();
    let n = found.len() as i64;
    let mut tx = db.begin().await?;
    // an officer's earlier dismissal stands when the same thing is found again
    let (fcond, fa) = scope_sql(&scope, "area_code", "town_code", 1);
    type Dismissed = (
        String,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let dismissed: Vec<Dismissed> = tx
        .fetch_all(
            &format!(
                "SELECT kind, case_id, person_id, area_code, reason, decided_by FROM findings WHERE status = 'dismissed' AND {fcond}"
            ),
            fa.clone(),
        )
        .await?;
    type Key = (String, Option<String>, Option<String>, String);
    let dismissed: HashMap<Key, (Option<String>, Option<String>)> = dismissed
        .into_iter()
        .map(|(k, c, p, a, r, b)| ((k, c, p, a), (r, b)))
        .collect();
    tx.execute(
        &format!("UPDATE findings SET status = 'superseded' WHERE status = 'open' AND {fcond}"),
        fa,
    )
    .await?;
    tx.execute(
        "INSERT INTO verification_runs (id, scope, on_date, cases, recipients, findings, loads_json, started_by, started_at, finished_at, towns_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        args![
            &run_id,
            &ctx.actor.area_code,
            on,
            checked.len() as i64,
            recipients,
            n,
            serde_json::to_string(&states).unwrap_or_default(),
            &ctx.actor.username,
            started,
            now(),
            serde_json::to_string(&towns).unwrap_or_default()
        ],
    )
    .await?;
    let rows: Vec<Vec<Arg>> = found
        .into_iter()
        .map(|f| {
            let key = (
                f.kind.code().to_string(),
                f.case_id.clone(),
                f.person_id.clone(),
                f.area_code.clone(),
            );
            let (status, reason, by) = match dismissed.get(&key) {
                Some((r, b)) => (
                    "dismissed",
                    Some(format!("沿用此前核实结论：{}", r.as_deref().unwrap_or(""))),
                    b.clone(),
                ),
                None => ("open", None, None),
            };
            args![
                new_id(),
                &run_id,
                f.kind.code(),
                f.case_id,
                f.person_id,
                f.household_id,
                f.area_code,
                f.town_code,
                f.detail,
                f.since,
                f.evidence.to_string(),
                status,
                if status == "dismissed" {
                    Some("dismiss")
                } else {
                    None
                },
                reason,
                by
            ]
        })
        .collect();
    tx.copy_rows(
        "findings",
        &[
            "id",
            "run_id",
            "kind",
            "case_id",
            "person_id",
            "household_id",
            "area_code",
            "town_code",
            "detail",
            "since",
            "evidence_json",
            "status",
            "decision",
            "reason",
            "decided_by",
        ],
        rows,
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("verification.run", "verification_run", &run_id)
            .area(&ctx.actor.area_code)
            .after(
                json!({"on": on, "cases": checked.len(), "recipients": recipients, "findings": n}),
            ),
    )
    .await?;
    tx.commit().await?;
    super::tasks::scan(app, on).await?;
    Ok(RunSummary {
        run_id,
        findings: n,
        cases: checked.len() as i64,
        recipients,
        cases_ms,
        households_ms,
        gather_ms,
        relatives_ms,
        missed_ms,
    })
}

fn case_finding(
    c: &CaseIn,
    h: &Household,
    persons: &HashMap<String, String>,
    as_of: &HashMap<String, NaiveDate>,
    f: Finding,
) -> NewFinding {
    // a source without a date of its own shows the fact at least since its as-of date
    let since = f.since.or_else(|| {
        f.evidence
            .iter()
            .filter_map(|e| as_of.get(&e.load_id))
            .min()
            .copied()
    });
    let person_id = f
        .member
        .and_then(|i| h.members.get(i))
        .and_then(|m| persons.get(m.id_number.as_str()).cloned());
    NewFinding {
        kind: f.kind,
        case_id: Some(c.id.clone()),
        person_id,
        household_id: Some(c.household_id.clone()),
        area_code: c.area_code.clone(),
        town_code: c.town_code.clone(),
        detail: f.detail,
        since,
        evidence: evidence_json(&f.evidence),
    }
}

/// 人情保 (a): a recipient in the registry household of a civil-affairs officer or cadre, not registered as a relative.
async fn unregistered_relatives(
    db: &Db,
    scope: &AreaFilter,
    out: &mut Vec<NewFinding>,
) -> AppResult<()> {
    // from the few staff to their household members first, then to the cases those members are on: the planner
    // of either backend would otherwise start from the many cases
    let pairs: Vec<(String, String, String, String)> = db
        .conn()
        .fetch_all(
            "SELECT st.id, sp.name, st.post, rp.id FROM staff st JOIN persons sp ON sp.id = st.person_id \
             JOIN persons rp ON rp.household_id = sp.household_id AND rp.id <> sp.id \
             WHERE NOT EXISTS (SELECT 1 FROM staff_relatives r WHERE r.staff_id = st.id AND r.person_id = rp.id)",
            vec![],
        )
        .await?;
    // (staff, staff name, post, person, case, household, area, town)
    type Hit = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    );
    let mut rows: Vec<Hit> = Vec::new();
    for chunk in pairs.chunks(900) {
        let (cond, a) = scope_sql(scope, "c.area_code", "c.town_code", chunk.len() + 1);
        let mut args: Vec<Arg> = chunk.iter().map(|p| Arg::from(p.3.as_str())).collect();
        args.extend(a);
        let cases: Vec<(String, String, String, String, String)> = db
            .conn()
            .fetch_all(
                &format!(
                    // CROSS JOIN keeps SQLite from starting at the active cases, each probed for every person
                    "SELECT m.person_id, c.id, c.household_id, c.area_code, c.town_code FROM case_members m \
                     CROSS JOIN cases c WHERE c.id = m.case_id AND c.status IN ('active', 'phasing_out') AND m.person_id IN ({}) AND {cond}",
                    placeholders(1, chunk.len())
                ),
                args,
            )
            .await?;
        for (pid, case, hh, area, town) in cases {
            for (st, name, post, _) in chunk.iter().filter(|p| p.3 == pid) {
                rows.push((
                    st.clone(),
                    name.clone(),
                    post.clone(),
                    pid.clone(),
                    case.clone(),
                    hh.clone(),
                    area.clone(),
                    town.clone(),
                ));
            }
        }
    }
    rows.sort_by(|a, b| (&a.4, &a.3).cmp(&(&b.4, &b.3)));
    for (staff_id, staff_name, post, person_id, case_id, household_id, area, town) in rows {
        out.push(NewFinding {
            kind: FindingKind::UnregisteredRelative,
            case_id: Some(case_id),
            person_id: Some(person_id),
            household_id: Some(household_id),
            area_code: area,
            town_code: town,
            detail: format!(
                "与{post}{}同户，未办理近亲属备案",
                minzheng_domain::idnumber::mask_name(&staff_name)
            ),
            since: None,
            evidence: registry_evidence("staff", &staff_id),
        });
    }
    Ok(())
}

/// Recipients of active cases per (village, town), the whole city.
async fn recipients_per_area(db: &Db) -> AppResult<Vec<(String, String, i64)>> {
    Ok(db
        .conn()
        .fetch_all(
            "SELECT c.area_code, c.town_code, COUNT(*) FROM case_members m JOIN cases c ON c.id = m.case_id \
             WHERE c.status IN ('active', 'phasing_out') GROUP BY c.area_code, c.town_code",
            vec![],
        )
        .await?)
}

/// Residents per village, as the registry keeps them (`area_residents`).
async fn residents_per_area(db: &Db) -> AppResult<Vec<(String, i64)>> {
    Ok(db
        .conn()
        .fetch_all("SELECT area_code, residents FROM area_residents", vec![])
        .await?)
}

/// 人情保 (b): villages whose coverage (recipients / residents) is more than twice their town's, in the towns
/// `case_towns` of the viewer's cases. The town's rate counts the whole town even for a narrower viewer.
fn coverage_outliers(
    scope: &AreaFilter,
    app: &App,
    case_towns: &HashSet<&str>,
    recipients: &[(String, String, i64)],
    residents: &[(String, i64)],
    out: &mut Vec<NewFinding>,
) {
    let areas_idx = app.areas();
    let rec = recipients
        .iter()
        .filter(|(_, t, _)| case_towns.contains(t.as_str()));
    let res: Vec<(&str, String, i64)> = residents
        .iter()
        .filter_map(|(a, n)| {
            let t = areas_idx.get(a).and_then(|x| x.town_code.clone())?;
            case_towns
                .contains(t.as_str())
                .then_some((a.as_str(), t, *n))
        })
        .collect();
    let mut town_tot: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut village: HashMap<&str, (i64, i64, &str)> = HashMap::new();
    for (v, t, n) in rec {
        town_tot.entry(t).or_default().0 += n;
        village.entry(v).or_insert((0, 0, t)).0 += n;
    }
    for (v, t, n) in &res {
        town_tot.entry(t).or_default().1 += n;
        village.entry(v).or_insert((0, 0, t)).1 += n;
    }
    let mut vs: Vec<(&&str, &(i64, i64, &str))> = village.iter().collect();
    vs.sort();
    let areas = app.areas();
    for (v, (vr, vres, t)) in vs {
        let tt = town_tot.get(t).copied().unwrap_or_default();
        if rules::coverage_outlier((*vr, *vres), tt) && scope_contains(scope, v, t) {
            out.push(NewFinding {
                kind: FindingKind::CoverageOutlier,
                case_id: None,
                person_id: None,
                household_id: None,
                area_code: v.to_string(),
                town_code: t.to_string(),
                detail: format!(
                    "{}保障面{}（{}/{}人），{}为{}（{}/{}人），超过两倍",
                    areas.name(v),
                    percent(*vr, *vres),
                    vr,
                    vres,
                    areas.name(t),
                    percent(tt.0, tt.1),
                    tt.0,
                    tt.1
                ),
                since: None,
                evidence: registry_evidence("registry", v),
            });
        }
    }
}

fn scope_contains(f: &AreaFilter, area: &str, town: &str) -> bool {
    match f {
        AreaFilter::Prefix(p) => area.starts_with(p.as_str()),
        AreaFilter::Town(t) => town == t,
        AreaFilter::Village(v) => area == v,
        AreaFilter::Nothing => false,
        AreaFilter::Everything => true,
    }
}

/// The same day `years` earlier (29 February becomes 28 February): who was 80 or 18 on `on`.
pub fn years_before(on: NaiveDate, years: i32) -> NaiveDate {
    on.with_year(on.year() - years)
        .or_else(|| NaiveDate::from_ymd_opt(on.year() - years, on.month(), 28))
        .expect("a valid date")
}

/// `n / d` as a percentage with two decimals, rounded as every percentage is (`targets::percent_2dp`).
pub fn percent(n: i64, d: i64) -> String {
    minzheng_domain::targets::percent_2dp(n, d).map_or_else(|| "—".into(), |p| format!("{p}%"))
}

/// A registry person as the 漏保 scan reads it: id, identity number, household, area, town, relation, birth date,
/// status, monthly income, flags (1 employed, 2 seriously ill, 4 living alone), disability kind and grade.
type ScanPerson = (
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDate,
    String,
    i64,
    i64,
    Option<String>,
    Option<i64>,
);

fn scan_person(p: ScanPerson) -> PersonRow {
    let (
        id,
        id_number,
        household_id,
        area_code,
        town_code,
        relation,
        birth_date,
        status,
        income,
        flags,
        kind,
        grade,
    ) = p;
    let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    PersonRow {
        id,
        id_last4: id_number.get(14..).unwrap_or("").to_string(),
        id_number,
        name: String::new(),
        sex: String::new(),
        birth_date,
        phone: String::new(),
        address: String::new(),
        hukou_area_code: String::new(),
        area_code,
        town_code,
        status,
        household_id: Some(household_id),
        relation,
        employed: flags & 1 != 0,
        monthly_income: income,
        disability_kind: kind,
        disability_grade: grade.and_then(|g| i32::try_from(g).ok()),
        serious_illness: flags & 2 != 0,
        lives_alone: flags & 4 != 0,
        created_at: epoch,
        updated_at: epoch,
    }
}

/// 漏保: people in the disability, serious-illness, orphan or elderly-living-alone data whose household holds no
/// assistance (no active case, no application in progress) and looks eligible by the rules.
#[allow(clippy::too_many_arguments)]
async fn missed(
    db: &Db,
    scope: &AreaFilter,
    on: NaiveDate,
    today: NaiveDate,
    s: &Standards,
    city: &str,
    out: &mut Vec<NewFinding>,
) -> AppResult<()> {
    let (cond, a) = scope_sql(scope, "p.area_code", "p.town_code", 1);
    let n = a.len();
    let cutoff = |years: i32| years_before(on, years);
    // (person, household) of every candidate
    let mut cand: Vec<(String, String)> = Vec::new();
    let q = |extra: &str| {
        format!(
            "SELECT p.id, p.household_id FROM {extra} AND p.status = 'normal' AND p.household_id IS NOT NULL AND {cond}"
        )
    };
    // the registers as they stand on the check date: their latest loads
    let loads = gather::loads_on(db, on).await?;
    // every read below is many rows: one connection, stepped through SQLite's C API (sqlx sends each row from its
    // worker thread, which had cost more than the rules)
    let mut r = db.reader().await?;
    let latest = |s: rules::Source| loads.get(&s).and_then(|v| v.last()).cloned();
    if let Some(l) = latest(rules::Source::Disability) {
        let mut al = a.clone();
        al.push(Arg::from(l));
        cand.extend(
            r.select::<(String, String)>(
                    &q(&format!("src_disability d JOIN persons p ON p.id_number = d.id_number WHERE d.load_id = ${} \
                        AND (d.grade <= 2 OR (d.grade = 3 AND d.kind IN ('intellectual', 'mental')))", n + 1)),
                    al,
                )
                .await?,
        );
    }
    if let Some(l) = latest(rules::Source::SeriousIllness) {
        let mut al = a.clone();
        al.push(Arg::from(l));
        cand.extend(
            r.select::<(String, String)>(
                    &q(&format!("src_serious_illness i JOIN persons p ON p.id_number = i.id_number WHERE i.load_id = ${}", n + 1)),
                    al,
                )
                .await?,
        );
    }
    // the registry's own candidates, found through heads of household (index on relation, birth date): someone 80+
    // living alone heads a household of one; a household of minors only is headed by a minor
    let mut a80 = a.clone();
    a80.push(Arg::Date(Some(cutoff(80))));
    cand.extend(
        r.select::<(String, String)>(
            &q(&format!(
                "persons p WHERE p.relation = 'self' AND p.birth_date <= ${} AND p.lives_alone",
                n + 1
            )),
            a80,
        )
        .await?,
    );
    let mut a18 = a.clone();
    a18.push(Arg::Date(Some(cutoff(18))));
    cand.extend(
        r.select::<(String, String)>(
                &q(&format!(
                    "persons h JOIN persons p ON p.household_id = h.household_id \
                     WHERE h.relation = 'self' AND h.birth_date > ${0} AND p.birth_date > ${0} \
                     AND NOT EXISTS (SELECT 1 FROM persons q WHERE q.household_id = h.household_id AND q.status = 'normal' AND q.birth_date <= ${0})",
                    n + 1
                )),
                a18,
            )
            .await?,
    );
    if cand.is_empty() {
        return Ok(());
    }
    // households that already hold assistance or are applying
    let held: HashSet<String> = db
        .conn()
        .fetch_all::<(String,)>(
            "SELECT household_id FROM cases WHERE status IN ('active', 'phasing_out') UNION SELECT household_id FROM applications WHERE stage NOT IN ('approved', 'refused')",
            vec![],
        )
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
    cand.retain(|(_, h)| !held.contains(h));
    cand.sort();
    cand.dedup();
    let mut hids: Vec<&str> = cand.iter().map(|c| c.1.as_str()).collect();
    hids.sort_unstable();
    hids.dedup();
    // the households' members, in one statement (the households as one bound JSON array)
    let mut members: HashMap<String, Vec<PersonRow>> = HashMap::with_capacity(hids.len());
    let sql = format!(
        "SELECT id, id_number, household_id, area_code, town_code, relation, birth_date, status, monthly_income, \
         CAST((CASE WHEN employed THEN 1 ELSE 0 END) + (CASE WHEN serious_illness THEN 2 ELSE 0 END) \
         + (CASE WHEN lives_alone THEN 4 ELSE 0 END) AS BIGINT), disability_kind, CAST(disability_grade AS BIGINT) \
         FROM persons WHERE household_id IN ({}) ORDER BY household_id, id",
        gather::json_list(db.backend(), 1)
    );
    let rows: Vec<ScanPerson> = r
        .select(
            &sql,
            vec![Arg::from(
                serde_json::to_string(&hids).map_err(|e| AppError::Internal(e.into()))?,
            )],
        )
        .await?;
    drop(r);
    for p in rows {
        let p = scan_person(p);
        members
            .entry(p.household_id.clone().unwrap_or_default())
            .or_default()
            .push(p);
    }
    let mut ids: Vec<String> = members
        .values()
        .flatten()
        .map(|p| p.id_number.clone())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = gather::rows_for(db, &ids, on).await?;
    // the rules for each household, on both cores
    let judged = on_both_cores(&hids, |part| {
        part.iter()
            .map(|hid| {
                let v = members.get(*hid).and_then(|ms| {
                    let h = registry_household(ms, on, today)?;
                    let cats = rules::looks_eligible(&h, &rows_of(&h, &rows), on, s, city);
                    (!cats.is_empty()).then_some((h, cats))
                });
                (*hid, v)
            })
            .collect()
    });
    let verdict: HashMap<&str, Option<(Household, Vec<Category>)>> = judged.into_iter().collect();
    for (pid, hid) in &cand {
        let Some(v) = verdict.get(hid.as_str()) else {
            continue;
        };
        let Some((h, cats)) = v else { continue };
        let Some(p) = members
            .get(hid)
            .and_then(|ms| ms.iter().find(|p| &p.id == pid))
        else {
            continue;
        };
        let Some(i) = h
            .members
            .iter()
            .position(|m| m.id_number.as_str() == p.id_number)
        else {
            continue;
        };
        let own = rows.get(&p.id_number).map(Vec::as_slice).unwrap_or(&[]);
        let Some(reason) = rules::missed_reason(h, i, own, p.lives_alone, on) else {
            continue;
        };
        let ev: Vec<rules::Evidence> = own
            .iter()
            .filter(|r| {
                matches!(
                    r.fact,
                    rules::Fact::Disability { .. } | rules::Fact::Illness { .. }
                )
            })
            .map(|r| r.evidence.clone())
            .collect();
        out.push(NewFinding {
            kind: FindingKind::Missed,
            case_id: None,
            person_id: Some(p.id.clone()),
            household_id: Some(hid.clone()),
            area_code: p.area_code.clone(),
            town_code: p.town_code.clone(),
            detail: format!(
                "{reason}；家庭未享受救助，按部门数据疑似符合：{}",
                cats.iter()
                    .map(|c| c.label())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            since: None,
            evidence: if ev.is_empty() {
                registry_evidence("registry", &p.id)
            } else {
                evidence_json(&ev)
            },
        });
    }
    Ok(())
}

/// The report of an application's check (先核再救): each source with its latest as-of date and what it showed.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CheckReport {
    pub on: NaiveDate,
    pub sources: Vec<SourceState>,
    pub findings: Vec<CheckFinding>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CheckFinding {
    pub kind: String,
    pub label: String,
    pub detail: String,
    #[schema(value_type = Object)]
    pub evidence: Value,
}

/// Checks one household for `category` against every source, as of `on`.
pub async fn check_household(
    app: &App,
    category: Category,
    h: &Household,
    on: NaiveDate,
) -> AppResult<CheckReport> {
    let s = standards::in_force(app, on)
        .await?
        .ok_or_else(|| AppError::invalid("on", format!("{on}没有生效的救助标准")))?;
    let city = app.areas().city_code.chars().take(6).collect::<String>();
    let ids: Vec<String> = h
        .members
        .iter()
        .map(|m| m.id_number.as_str().to_string())
        .collect();
    let rows = gather::rows_for(&app.db, &ids, on).await?;
    let findings = rules::check_case(category, h, &rows_of(h, &rows), on, &s, &city)
        .into_iter()
        .map(|f| CheckFinding {
            kind: f.kind.code().into(),
            label: f.kind.label().into(),
            detail: f.detail,
            evidence: evidence_json(&f.evidence),
        })
        .collect();
    Ok(CheckReport {
        on,
        sources: gather::source_states(&app.db).await?,
        findings,
    })
}
