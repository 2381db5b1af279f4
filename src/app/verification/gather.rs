//! Gathers what the sources hold about a set of people: one indexed query per source for all of them (see
//! `IdSet`), never a query per person.

use crate::app::AppError;
use crate::storage::{Arg, Backend, Db, Reader};
use chrono::NaiveDate;
use minzheng_domain::assistance::{DisabilityKind, VehicleKind};
use minzheng_domain::money::Fen;
use minzheng_domain::verification::{Evidence, Fact, Source, SourceRow};
use std::collections::HashMap;

/// Below this many identity numbers one reader does all the work.
const SPLIT_ABOVE: usize = 3_600;

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

/// The identity numbers a part asks about, as its statements name them.
struct IdSet {
    /// a subquery of the identity numbers
    sql: String,
    /// its parameter ($2), if it has one
    arg: Option<String>,
}

impl IdSet {
    /// On SQLite a temporary table of the reader's connection, filled once and read by every source's statement
    /// (a JSON array bound to each statement was parsed and indexed again twelve times). On PostgreSQL the array
    /// is bound to each statement: its planner, knowing nothing of a temporary table's size, may scan a source
    /// whole where it probes the index for a set-returning function.
    async fn new(db: &mut Reader, ids: &[String]) -> Result<IdSet, AppError> {
        Ok(match db.backend() {
            Backend::Sqlite => {
                db.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS gather_ids (id_number TEXT PRIMARY KEY)",
                    vec![],
                )
                .await?;
                db.execute("DELETE FROM temp.gather_ids", vec![]).await?;
                db.execute(
                    "INSERT INTO temp.gather_ids (id_number) SELECT DISTINCT value FROM json_each($1)",
                    vec![Arg::from(json_array(ids))],
                )
                .await?;
                IdSet {
                    sql: "SELECT id_number FROM temp.gather_ids".into(),
                    arg: None,
                }
            }
            Backend::Postgres => IdSet {
                sql: json_list(Backend::Postgres, 2),
                arg: Some(json_array(ids)),
            },
        })
    }

    /// Removes the temporary table (left behind after an error, the next part empties it first).
    async fn clear(self, db: &mut Reader) -> Result<(), AppError> {
        if db.backend() == Backend::Sqlite {
            db.execute("DROP TABLE IF EXISTS temp.gather_ids", vec![])
                .await?;
        }
        Ok(())
    }
}

async fn each_source<T, F>(
    db: &mut Reader,
    select: &str,
    ids: &IdSet,
    loads: &[String],
    out: &mut RowsById,
    mut f: F,
) -> Result<(), AppError>
where
    T: crate::storage::Row,
    F: FnMut(T) -> Option<(String, SourceRow)>,
{
    if loads.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "{select} WHERE id_number IN ({}) AND load_id IN ({})",
        ids.sql,
        json_list(db.backend(), 1)
    );
    let mut args = vec![Arg::from(json_array(loads))];
    args.extend(ids.arg.as_deref().map(Arg::from));
    let rows: Vec<T> = db.fetch_all(&sql, args).await?;
    for r in rows {
        if let Some((id, row)) = f(r) {
            out.entry(id).or_default().push(row);
        }
    }
    Ok(())
}

/// The values of a JSON array of strings bound as parameter `n`: one statement and one parameter for any number
/// of identity numbers (an IN list of placeholders costs a statement per chunk and a bind per value).
fn json_list(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!("SELECT value FROM json_each(${n})"),
        Backend::Postgres => format!("SELECT json_array_elements_text(${n}::json)"),
    }
}

/// What the sources hold on `on` about `ids` (deduplicated identity numbers). The work is split in parts that read
/// on separate pooled connections at the same time.
pub async fn rows_for(db: &Db, ids: &[String], on: NaiveDate) -> Result<RowsById, AppError> {
    let loads = loads_on(db, on).await?;
    let parts = if ids.len() < SPLIT_ABOVE { 1 } else { PARTS };
    let size = ids.len().div_ceil(parts).max(1);
    let maps =
        futures::future::try_join_all(ids.chunks(size).map(|part| rows_for_part(db, part, &loads)))
            .await?;
    let mut maps = maps.into_iter();
    let mut out = maps.next().unwrap_or_default();
    for m in maps {
        out.extend(m);
    }
    Ok(out)
}

/// Readers at once: one per core is enough to keep both the database and the rules busy.
const PARTS: usize = 2;

async fn rows_for_part(
    db: &Db,
    ids: &[String],
    loads: &HashMap<Source, Vec<String>>,
) -> Result<RowsById, AppError> {
    let db = &mut db.reader().await?;
    let set = IdSet::new(db, ids).await?;
    let mut out: RowsById = HashMap::with_capacity(ids.len() / 4);
    let ids = &set;
    let none = Vec::new();
    let l = |s: Source| loads.get(&s).unwrap_or(&none);
    use Source::*;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, date_of_death FROM src_deaths",
        ids,
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
        ids,
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
        ids,
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
        ids,
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
    each_source(db, "SELECT load_id, row_no, id_number, month, wage_base, pension_paid FROM src_social_insurance", ids, l(SocialInsurance), &mut out, |(l, r, id, month, w, p): (String, i64, String, String, i64, i64)| {
        let fact = Fact::Insurance { month, wage_base: Fen(w), pension: Fen(p) };
        Some((id, SourceRow { fact, evidence: ev(SocialInsurance, l, r) }))
    })
    .await?;
    each_source(
        db,
        "SELECT load_id, row_no, id_number, month, contribution FROM src_housing_fund",
        ids,
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
        ids,
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
        ids,
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
        ids,
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
        ids,
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
        ids,
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
        ids,
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
    set.clear(db).await?;
    // the same order whatever the backend returned
    for v in out.values_mut() {
        v.sort_by(|a, b| a.evidence.cmp(&b.evidence));
    }
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
