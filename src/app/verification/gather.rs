//! Gathers what the sources hold about a set of people: one indexed query per source for all of them, asking each
//! source only about the numbers its loads' filters may hold; never a query per person.

use crate::app::AppError;
use crate::storage::{Arg, Backend, Db, Reader};
use chrono::NaiveDate;
use minzheng_domain::assistance::{DisabilityKind, VehicleKind};
use minzheng_domain::money::Fen;
use minzheng_domain::verification::idfilter::{IdFilter, id_hash};
use minzheng_domain::verification::{Evidence, Fact, Source, SourceRow};
use std::collections::HashMap;

/// Below this many identity numbers, one reader does all the work (about 3,600 numbers asked of all sources
/// together, as the benchmark city's filters pass about 0.7 asked per number).
const SPLIT_ABOVE: usize = 5_000;

/// Rows about each identity number: of each register its latest load, of each event source every load (as of the
/// check date).
pub type RowsById = HashMap<String, Vec<SourceRow>>;

/// The loads that count on `on`, per source: a register's latest load with an as-of date on or before `on`, every
/// such load of an event source.
pub async fn loads_on(db: &Db, on: NaiveDate) -> Result<HashMap<Source, Vec<String>>, AppError> {
    let rows: Vec<(String, String)> = db
        .conn()
        .fetch_all(
            "SELECT id, source FROM source_loads WHERE as_of <= $1 ORDER BY source, as_of, loaded_at, id",
            vec![Arg::from(on)],
        )
        .await?;
    let mut out: HashMap<Source, Vec<String>> = HashMap::new();
    for (id, code) in rows {
        let Some(s) = Source::from_code(&code) else {
            continue;
        };
        let v = out.entry(s).or_default();
        if s.is_register() {
            v.clear();
        }
        v.push(id);
    }
    Ok(out)
}

fn ev(source: Source, load_id: String, row: i64) -> Evidence {
    Evidence {
        source,
        load_id,
        row,
    }
}

async fn each_source<T, F>(
    db: &mut Reader,
    select: &str,
    ids: &[String],
    loads: &[String],
    out: &mut RowsById,
    mut f: F,
) -> Result<(), AppError>
where
    T: crate::storage::Row + crate::storage::RawRow,
    F: FnMut(T) -> Option<(String, SourceRow)>,
{
    if loads.is_empty() || ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "{select} WHERE id_number IN ({}) AND load_id IN ({})",
        json_list(db.backend(), 2),
        json_list(db.backend(), 1)
    );
    let args = vec![Arg::from(json_array(loads)), Arg::from(json_array(ids))];
    let rows: Vec<T> = db.select(&sql, args).await?;
    for r in rows {
        if let Some((id, row)) = f(r) {
            out.entry(id).or_default().push(row);
        }
    }
    Ok(())
}

/// The values of a JSON array of strings bound as parameter `n`: one statement and one parameter for any number
/// of identity numbers (an IN list of placeholders costs a statement per chunk and a bind per value).
pub(crate) fn json_list(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!("SELECT value FROM json_each(${n})"),
        Backend::Postgres => format!("SELECT json_array_elements_text(${n}::json)"),
    }
}

/// What a gathering needs before it knows whom it asks about: the loads that count on the check date and the
/// filters they keep. A run fetches it while it reads its cases.
pub struct Plan {
    loads: HashMap<Source, Vec<String>>,
    /// Per load, its filter; `None` for a load without a readable one (asked about everyone).
    filters: HashMap<String, Option<IdFilter>>,
}

pub async fn plan(db: &Db, on: NaiveDate) -> Result<Plan, AppError> {
    use base64::Engine;
    let loads = loads_on(db, on).await?;
    let wanted: Vec<String> = loads.values().flatten().cloned().collect();
    if wanted.is_empty() {
        return Ok(Plan {
            loads,
            filters: HashMap::new(),
        });
    }
    let sql = format!(
        "SELECT id, id_filter FROM source_loads WHERE id IN ({})",
        json_list(db.backend(), 1)
    );
    let filters = db
        .conn()
        .fetch_all::<(String, Option<String>)>(&sql, vec![Arg::from(json_array(&wanted))])
        .await?
        .into_iter()
        .map(|(id, f)| {
            let f = f
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| IdFilter::from_bytes(&b));
            (id, f)
        })
        .collect();
    Ok(Plan { loads, filters })
}

/// What the sources hold on `on` about `ids` (deduplicated identity numbers).
pub async fn rows_for(db: &Db, ids: &[String], on: NaiveDate) -> Result<RowsById, AppError> {
    let plan = std::sync::Arc::new(plan(db, on).await?);
    rows_planned(db, plan, ids).await
}

/// What the sources hold about `ids` under `plan`. The numbers are split in parts that read on separate pooled
/// connections at the same time; each part asks each source only about its numbers that the source's loads'
/// filters may hold.
pub async fn rows_planned(
    db: &Db,
    plan: std::sync::Arc<Plan>,
    ids: &[String],
) -> Result<RowsById, AppError> {
    let parts = if ids.len() < SPLIT_ABOVE { 1 } else { PARTS };
    rows_in_parts(db, plan, ids, parts).await
}

/// `rows_planned` in `parts` parts, whatever the number of `ids` (tests compare the parts with one reader).
pub async fn rows_in_parts(
    db: &Db,
    plan: std::sync::Arc<Plan>,
    ids: &[String],
    parts: usize,
) -> Result<RowsById, AppError> {
    if ids.is_empty() || plan.loads.is_empty() {
        return Ok(HashMap::new());
    }
    let size = ids.len().div_ceil(parts.max(1));
    // each part a task of its own: the reads step SQLite on the polling thread, and parts polled by one task would
    // take turns on one core
    let tasks: Vec<_> = ids
        .chunks(size)
        .map(|part| {
            let (db, plan, part) = (db.clone(), plan.clone(), part.to_vec());
            tokio::spawn(async move {
                let asked = asked_per_source(&plan, &part);
                rows_for_part(&db, &asked, &plan.loads).await
            })
        })
        .collect();
    let mut maps = Vec::with_capacity(parts);
    for t in tasks {
        maps.push(t.await.map_err(|e| AppError::Internal(e.into()))??);
    }
    let mut maps = maps.into_iter();
    let mut out = maps.next().unwrap_or_default();
    for m in maps {
        for (id, mut rows) in m {
            out.entry(id).or_default().append(&mut rows);
        }
    }
    // the same order whatever the backend returned
    for v in out.values_mut() {
        v.sort_by(|a, b| a.evidence.cmp(&b.evidence));
    }
    Ok(out)
}

/// Readers at once: one per core is enough to keep both the database and the rules busy.
const PARTS: usize = 2;

/// Of `ids`, those each source's loads may mention, by the filters kept with the loads. A load without a filter
/// (loaded before filters were kept) may mention anyone.
fn asked_per_source(plan: &Plan, ids: &[String]) -> HashMap<Source, Vec<String>> {
    let hashes: Vec<u64> = ids.iter().map(|id| id_hash(id)).collect();
    let mut out = HashMap::new();
    for (source, ls) in &plan.loads {
        let fs: Option<Vec<&IdFilter>> = ls
            .iter()
            .map(|l| plan.filters.get(l).and_then(Option::as_ref))
            .collect();
        let asked: Vec<String> = match fs {
            Some(fs) => ids
                .iter()
                .zip(&hashes)
                .filter(|(_, h)| fs.iter().any(|f| f.may_contain(**h)))
                .map(|(id, _)| id.clone())
                .collect(),
            None => ids.to_vec(),
        };
        tracing::debug!(
            source = source.code(),
            asked = asked.len(),
            of = ids.len(),
            "filtered"
        );
        out.insert(*source, asked);
    }
    out
}

/// One part: each source asked about the numbers in `asked`.
async fn rows_for_part(
    db: &Db,
    asked: &HashMap<Source, Vec<String>>,
    loads: &HashMap<Source, Vec<String>>,
) -> Result<RowsById, AppError> {
    let db = &mut db.reader().await?;
    let mut out: RowsById = HashMap::new();
    let none = Vec::new();
    let a = |s: Source| -> &[String] { asked.get(&s).map(Vec::as_slice).unwrap_or(&[]) };
    let l = |s: Source| loads.get(&s).unwrap_or(&none);
    use Source::*;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, date_of_death FROM src_deaths",
        a(Deaths),
        l(Deaths),
        &mut out,
        |(l, r, id, d): (String, i64, String, NaiveDate)| {
            Some((
                id,
                SourceRow {
                    fact: Fact::Death { on: d },
                    evidence: ev(Deaths, l, r),
                },
            ))
        },
    )
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, vehicle_kind FROM src_vehicles",
        a(Vehicles),
        l(Vehicles),
        &mut out,
        |(l, r, id, k): (String, i64, String, String)| {
            let kind = VehicleKind::from_code(&k)?;
            Some((
                id,
                SourceRow {
                    fact: Fact::Vehicle { kind },
                    evidence: ev(Vehicles, l, r),
                },
            ))
        },
    )
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, property_id, property_use FROM src_real_estate",
        a(RealEstate),
        l(RealEstate),
        &mut out,
        |(l, r, id, p, u): (String, i64, String, String, String)| {
            let fact = Fact::Property {
                property_id: p,
                residential: u == "residential",
                commercial: u == "commercial",
            };
            Some((
                id,
                SourceRow {
                    fact,
                    evidence: ev(RealEstate, l, r),
                },
            ))
        },
    )
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, role FROM src_business",
        a(Business),
        l(Business),
        &mut out,
        |(l, r, id, role): (String, i64, String, String)| {
            let fact = Fact::Business {
                owner: role != "individual_business",
            };
            Some((
                id,
                SourceRow {
                    fact,
                    evidence: ev(Business, l, r),
                },
            ))
        },
    )
    .await?;
    each_source(db, "SELECT load_id, row_no, id_number, month, wage_base, pension_paid FROM src_social_insurance", a(SocialInsurance), l(SocialInsurance), &mut out, |(l, r, id, month, w, p): (String, i64, String, String, i64, i64)| {
        let fact = Fact::Insurance { month, wage_base: Fen(w), pension: Fen(p) };
        Some((id, SourceRow { fact, evidence: ev(SocialInsurance, l, r) }))
    })
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, month, contribution FROM src_housing_fund",
        a(HousingFund),
        l(HousingFund),
        &mut out,
        |(l, r, id, month, c): (String, i64, String, String, i64)| {
            Some((
                id,
                SourceRow {
                    fact: Fact::Fund {
                        month,
                        contribution: Fen(c),
                    },
                    evidence: ev(HousingFund, l, r),
                },
            ))
        },
    )
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number FROM src_public_payroll",
        a(PublicPayroll),
        l(PublicPayroll),
        &mut out,
        |(l, r, id): (String, i64, String)| {
            Some((
                id,
                SourceRow {
                    fact: Fact::Payroll,
                    evidence: ev(PublicPayroll, l, r),
                },
            ))
        },
    )
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, institution, balance, as_of FROM src_deposits",
        a(Deposits),
        l(Deposits),
        &mut out,
        |(l, r, id, i, b, a): (String, i64, String, String, i64, NaiveDate)| {
            let fact = Fact::Deposit {
                institution: i,
                balance: Fen(b),
                as_of: a,
            };
            Some((
                id,
                SourceRow {
                    fact,
                    evidence: ev(Deposits, l, r),
                },
            ))
        },
    )
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, kind, grade FROM src_disability",
        a(Disability),
        l(Disability),
        &mut out,
        |(l, r, id, k, g): (String, i64, String, String, i64)| {
            let kind = DisabilityKind::from_code(&k)?;
            Some((
                id,
                SourceRow {
                    fact: Fact::Disability {
                        kind,
                        grade: g as u8,
                    },
                    evidence: ev(Disability, l, r),
                },
            ))
        },
    )
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, out_of_pocket_12m FROM src_serious_illness",
        a(SeriousIllness),
        l(SeriousIllness),
        &mut out,
        |(l, r, id, c): (String, i64, String, i64)| {
            Some((
                id,
                SourceRow {
                    fact: Fact::Illness {
                        out_of_pocket_12m: Fen(c),
                    },
                    evidence: ev(SeriousIllness, l, r),
                },
            ))
        },
    )
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, kind, from_on, to_on FROM src_custody",
        a(Custody),
        l(Custody),
        &mut out,
        |(l, r, id, k, f, t): (String, i64, String, String, NaiveDate, Option<NaiveDate>)| {
            Some((
                id,
                SourceRow {
                    fact: Fact::Custody {
                        prison: k == "prison",
                        from: f,
                        to: t,
                    },
                    evidence: ev(Custody, l, r),
                },
            ))
        },
    )
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, moved_out_on, destination_code FROM src_hukou_moves",
        a(HukouMoves),
        l(HukouMoves),
        &mut out,
        |(l, r, id, d, dest): (String, i64, String, NaiveDate, String)| {
            Some((
                id,
                SourceRow {
                    fact: Fact::Moved {
                        on: d,
                        destination: dest,
                    },
                    evidence: ev(HukouMoves, l, r),
                },
            ))
        },
    )
    .await?;
    Ok(out)
}

/// Person ids of identity numbers in the registry.
pub async fn person_ids(db: &Db, ids: &[String]) -> Result<HashMap<String, String>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut reader = db.reader().await?;
    let sql = format!(
        "SELECT id_number, id FROM persons WHERE id_number IN ({})",
        json_list(reader.backend(), 1)
    );
    let rows: Vec<(String, String)> = reader
        .fetch_all(&sql, vec![Arg::from(json_array(ids))])
        .await?;
    Ok(rows.into_iter().collect())
}

fn json_array(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_default()
}

/// What the report of a check lists: each source, its latest as-of date and how many loads it has.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SourceState {
    pub source: String,
    pub latest_as_of: Option<NaiveDate>,
    pub loads: i64,
}

pub async fn source_states(db: &Db) -> Result<Vec<SourceState>, AppError> {
    let rows: Vec<SourceState> = db
        .conn()
        .fetch_all("SELECT source, MAX(as_of) AS latest_as_of, COUNT(*) AS loads FROM source_loads GROUP BY source", vec![])
        .await?;
    Ok(Source::ALL
        .iter()
        .map(|s| {
            rows.iter()
                .find(|r| r.source == s.code())
                .cloned()
                .unwrap_or(SourceState {
                    source: s.code().into(),
                    latest_as_of: None,
                    loads: 0,
                })
        })
        .collect())
}
