//! Re-classification: the registry's children are classified by the very rule of `POST /api/v1/children/classify`
//! from their parents' situations as the platform holds them, whenever one of those situations changes.
//!
//! - **Who**: a registry person with relation 子女 under 18 (or still in full-time education on an entry of the
//!   register), whose parents are the household's 户主 and 配偶 (father the man, mother the woman). A child whose
//!   parents the registry does not list is classified on what it has (an absent parent counts as present and able).
//! - **Situations**: the registry (死亡 status; a disability grade 1–2, or 3–4 intellectual or mental; serious
//!   illness), every loaded deaths file (the date of death), and the latest 残联, serious-illness and custody loads
//!   (registers sent whole; prison → custody, drug rehab, with their terms).
//! - **When**: in the transaction of a registry change of a household member (`household_tx`), and as a batch over
//!   the whole registry after a deaths, disability, serious-illness or custody load, or by the child welfare
//!   section (`run`). The batch reads with a constant number of statements (children with their parents in one,
//!   each source in one) and writes only what changed.
//! - **Kept**: `child_classifications` holds each child the rule puts in a category now; every change (a new
//!   category, another, or none any more — at 18, past the end of full-time education, or a parent able again) is a
//!   row of `child_classification_changes` with the rule's reasons and the cause.

use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, Reader, Tx, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::children::{self, Child, ClassifyInput, Situation, SituationKind};
use minzheng_domain::idnumber::IdNumber;
use std::collections::{HashMap, HashSet};

/// Where the rows come from: the batch's held connection (SQLite's C API for many rows) or the change's own
/// transaction.
enum Src<'a> {
    Reader(&'a mut Reader),
    Tx(&'a mut Tx),
}

impl Src<'_> {
    async fn rows<T>(&mut self, sql: &str, args: Vec<Arg>) -> AppResult<Vec<T>>
    where
        T: crate::storage::Row + crate::storage::RawRow,
    {
        Ok(match self {
            Src::Reader(r) => r.select(sql, args).await?,
            Src::Tx(t) => t.fetch_all(sql, args).await?,
        })
    }

    async fn scalar(&mut self, sql: &str, args: Vec<Arg>) -> AppResult<i64> {
        Ok(match self {
            Src::Reader(r) => r.scalar(sql, args).await?,
            Src::Tx(t) => t.scalar(sql, args).await?,
        })
    }
}

/// (child id, child id number, area, town, child status, parent id number, parent sex, parent facts)
type ChildParentRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A child as the batch reads it: id, identity number, area, town, status, household.
type ChildRow = (String, String, String, String, String, Option<String>);

/// A parent with a situation: household, identity number, sex, registry facts.
type ParentRow = (String, String, String, String);

/// The parent's registry facts in one column: status|disability kind|grade|serious illness (0/1).
const FACTS: &str = "par.status || '|' || COALESCE(par.disability_kind, '') || '|' || \
    COALESCE(CAST(par.disability_grade AS TEXT), '') || '|' || CASE WHEN par.serious_illness THEN '1' ELSE '0' END";

/// The children (`from` names them `c`) with their parents, one row a parent.
fn child_sql(from: &str, cond: &str) -> String {
    format!(
        "SELECT c.id, c.id_number, c.area_code, c.town_code, c.status, par.id_number, par.sex, {FACTS} \
         FROM {from} LEFT JOIN persons par ON par.household_id = c.household_id \
         AND par.relation IN ('self', 'spouse') \
         WHERE c.relation = 'child' AND {cond}"
    )
}

/// A parent (户主 or 配偶) with a situation in the registry (a superset of what the rule counts: every recorded
/// disability), read from the partial index `persons_parent_facts`; the relation is tested through COALESCE so that
/// SQLite's planner does not prefer the index on (relation, birth_date), which holds every head of household.
const PARENT_FACTS: &str = "(status = 'deceased' OR disability_grade IS NOT NULL OR serious_illness) \
    AND COALESCE(relation, '') IN ('self', 'spouse')";

/// A far-past `since` for registry facts that carry no date (they hold now).
const LONG_AGO: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("date");

fn severe(kind: &str, grade: i64) -> bool {
    (1..=2).contains(&grade)
        || ((3..=4).contains(&grade) && matches!(kind, "intellectual" | "mental"))
}

fn registry_situations(facts: &str) -> Vec<Situation> {
    let mut it = facts.split('|');
    let (status, kind, grade, ill) = (
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
        it.next().and_then(|g| g.parse::<i64>().ok()).unwrap_or(0),
        it.next() == Some("1"),
    );
    let s = |kind| Situation {
        kind,
        since: LONG_AGO,
        until: None,
    };
    let mut out = vec![];
    if status == "deceased" {
        out.push(s(SituationKind::Dead));
    }
    if severe(kind, grade) {
        out.push(s(SituationKind::SevereDisability));
    }
    if ill {
        out.push(s(SituationKind::SeriousIllness));
    }
    out
}

/// Every situation the departmental files give, by identity number: each source one statement.
async fn source_situations(
    src: &mut Src<'_>,
    only: Option<&[String]>,
) -> AppResult<HashMap<String, Vec<Situation>>> {
    // the batch reads every row; a household's change reads its parents' rows
    let (filter, args): (String, Vec<Arg>) = match only {
        None => (String::new(), vec![]),
        Some([]) => return Ok(HashMap::new()),
        Some(ids) => (
            format!(
                " AND id_number IN ({})",
                crate::storage::placeholders(1, ids.len())
            ),
            ids.iter().map(|s| Arg::from(s.clone())).collect(),
        ),
    };
    let mut map: HashMap<String, Vec<Situation>> = HashMap::new();
    let mut put = |idn: String, kind, since, until| {
        map.entry(idn)
            .or_default()
            .push(Situation { kind, since, until });
    };
    let deaths: Vec<(String, NaiveDate)> = src
        .rows(
            &format!("SELECT id_number, date_of_death FROM src_deaths WHERE 1 = 1{filter}"),
            args.clone(),
        )
        .await?;
    for (idn, on) in deaths {
        put(idn, SituationKind::Dead, on, None);
    }
    let latest = |source: &str| {
        format!(
            "load_id = (SELECT id FROM source_loads WHERE source = '{source}' ORDER BY as_of DESC, loaded_at DESC LIMIT 1)"
        )
    };
    let disabled: Vec<(String, String, i64, NaiveDate)> = src
        .rows(
            &format!(
                "SELECT id_number, kind, grade, certified_on FROM src_disability WHERE {} \
                 AND (grade <= 2 OR (grade <= 4 AND kind IN ('intellectual', 'mental'))){filter}",
                latest("disability")
            ),
            args.clone(),
        )
        .await?;
    for (idn, kind, grade, on) in disabled {
        if severe(&kind, grade) {
            put(idn, SituationKind::SevereDisability, on, None);
        }
    }
    let ill: Vec<(String, NaiveDate)> = src
        .rows(
            &format!(
                "SELECT s.id_number, l.as_of FROM src_serious_illness s JOIN source_loads l ON l.id = s.load_id \
                 WHERE s.{}{}",
                latest("serious_illness"),
                filter.replace(" id_number", " s.id_number")
            ),
            args.clone(),
        )
        .await?;
    for (idn, on) in ill {
        put(idn, SituationKind::SeriousIllness, on, None);
    }
    let custody: Vec<(String, String, NaiveDate, Option<NaiveDate>)> = src
        .rows(
            &format!(
                "SELECT id_number, kind, from_on, to_on FROM src_custody WHERE {}{filter}",
                latest("custody")
            ),
            args,
        )
        .await?;
    for (idn, kind, from, to) in custody {
        let k = if kind == "drug_rehab" {
            SituationKind::DrugRehab
        } else {
            SituationKind::Custody
        };
        put(idn, k, from, to);
    }
    Ok(map)
}

struct Current {
    area_code: String,
    town_code: String,
    category: Option<&'static str>,
    reasons: String,
}

/// Classifies the children of `rows` by the rule; `education` are those still in full-time education. Answers those
/// the rule puts in a category now or `previous` holds (the only ones a write can touch); a child whose parents have
/// no situation and who is in no category is left out.
fn classify_rows(
    rows: Vec<ChildParentRow>,
    sources: &HashMap<String, Vec<Situation>>,
    education: &HashSet<String>,
    previous: &HashMap<String, String>,
    as_of: NaiveDate,
) -> HashMap<String, Current> {
    struct Acc {
        id_number: String,
        area: String,
        town: String,
        status: String,
        father: Vec<Situation>,
        mother: Vec<Situation>,
    }
    let mut kids: HashMap<String, Acc> = HashMap::with_capacity(rows.len() / 2 + 1);
    for (cid, cidn, area, town, status, pidn, psex, facts) in rows {
        let acc = kids.entry(cid).or_insert_with(|| Acc {
            id_number: cidn,
            area,
            town,
            status,
            father: vec![],
            mother: vec![],
        });
        let (Some(pidn), Some(psex)) = (pidn, psex) else {
            continue;
        };
        let mut s = registry_situations(facts.as_deref().unwrap_or(""));
        if let Some(more) = sources.get(&pidn) {
            s.extend(more.iter().copied());
        }
        if psex == "male" {
            acc.father.extend(s);
        } else {
            acc.mother.extend(s);
        }
    }
    let far = NaiveDate::from_ymd_opt(2200, 1, 1).expect("date");
    kids.into_iter()
        .filter(|(id, a)| children::may_classify(&a.father, &a.mother) || previous.contains_key(id))
        .filter_map(|(id, a)| {
            let (category, reasons) = match IdNumber::parse(&a.id_number, far) {
                Ok(idn) if a.status == "normal" => {
                    let c = children::classify(&ClassifyInput {
                        as_of,
                        child: Child {
                            id_number: idn,
                            in_full_time_education: education.contains(&id),
                        },
                        father: a.father,
                        mother: a.mother,
                    });
                    let category = c.category.map(|c| c.code());
                    if category.is_none() && !previous.contains_key(&id) {
                        return None;
                    }
                    (
                        category,
                        serde_json::to_string(&c.reasons).unwrap_or_else(|_| "[]".into()),
                    )
                }
                // dead or moved away: no category any more
                _ if previous.contains_key(&id) => {
                    (None, format!("[{{\"status\":\"{}\"}}]", a.status))
                }
                _ => return None,
            };
            Some((
                id,
                Current {
                    area_code: a.area,
                    town_code: a.town,
                    category,
                    reasons,
                },
            ))
        })
        .collect()
}

#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ReclassifySummary {
    /// Children classified (under 18, or in full-time education on the register).
    pub children: i64,
    /// Children the rule puts in a category now.
    pub classified: i64,
    /// Changes recorded this time (new, other or no category).
    pub changed: i64,
}

/// Writes what changed, with its history: `previous` is the table's category per child among those classified.
async fn write(
    tx: &mut Tx,
    by: &str,
    cause: &str,
    as_of: NaiveDate,
    current: &HashMap<String, Current>,
    previous: &HashMap<String, String>,
) -> AppResult<i64> {
    let at = now();
    let mut gone: Vec<String> = vec![];
    let mut upsert: Vec<Vec<Arg>> = vec![];
    let mut history: Vec<Vec<Arg>> = vec![];
    // sorted, so runs write in the same order (and tests read a stable history)
    let mut ids: Vec<&String> = current.keys().collect();
    ids.sort();
    for id in ids {
        let c = &current[id];
        let before = previous.get(id).map(String::as_str);
        if before == c.category {
            continue;
        }
        if before.is_some() {
            gone.push(id.clone());
        }
        if let Some(cat) = c.category {
            upsert.push(vec![
                id.clone().into(),
                c.area_code.clone().into(),
                c.town_code.clone().into(),
                cat.into(),
                c.reasons.clone().into(),
                as_of.into(),
                at.into(),
            ]);
        }
        history.push(vec![
            new_id().into(),
            id.clone().into(),
            c.area_code.clone().into(),
            c.town_code.clone().into(),
            before.map(String::from).into(),
            c.category.map(String::from).into(),
            c.reasons.clone().into(),
            cause.into(),
            as_of.into(),
            by.into(),
            at.into(),
        ]);
    }
    for chunk in gone.chunks(500) {
        tx.execute(
            &format!(
                "DELETE FROM child_classifications WHERE person_id IN ({})",
                crate::storage::placeholders(1, chunk.len())
            ),
            chunk.iter().map(|s| Arg::from(s.clone())).collect(),
        )
        .await?;
    }
    tx.insert_many(
        "child_classifications",
        "person_id, area_code, town_code, category, reasons_json, as_of, updated_at",
        upsert,
    )
    .await?;
    let changed = history.len() as i64;
    tx.insert_many(
        "child_classification_changes",
        "id, person_id, area_code, town_code, before_cat, after_cat, reasons_json, cause, as_of, changed_by, changed_at",
        history,
    )
    .await?;
    Ok(changed)
}

fn cutoff(as_of: NaiveDate) -> NaiveDate {
    // born after this date: under 18 on as_of
    as_of
        .checked_sub_months(chrono::Months::new(18 * 12))
        .unwrap_or(as_of)
}

/// The whole registry, as a batch (after a departmental load, or on request): reads with a handful of statements,
/// writes what changed in one transaction. No permission check: the callers check theirs.
pub(crate) async fn batch(
    app: &App,
    ctx: &crate::app::Ctx,
    cause: &str,
    as_of: NaiveDate,
    only_load: Option<(&str, &str)>,
) -> AppResult<ReclassifySummary> {
    // after a departmental load only the households of the persons in the file can change (a few thousand of a
    // city's 700,000): `only_load` = (source table, load id) keeps the read to them
    let touched = |alias: &str, n: usize| match only_load {
        Some((table, _)) => format!(
            " AND {alias}.household_id IN (SELECT p.household_id FROM persons p JOIN {table} s ON s.id_number = p.id_number \
             WHERE s.load_id = ${n} AND p.household_id IS NOT NULL)"
        ),
        None => String::new(),
    };
    let load_arg = |mut a: Vec<Arg>| {
        if let Some((_, id)) = only_load {
            a.push(Arg::from(id));
        }
        a
    };
    let by = ctx.actor.display_name.as_str();
    let mut reader = app.db.reader().await?;
    let backend = reader.backend();
    let mut src = Src::Reader(&mut reader);
    let education: Vec<(String,)> = src
        .rows(
            "SELECT person_id FROM child_registrations WHERE status = 'active' AND education_until >= $1",
            args![as_of],
        )
        .await?;
    let education: HashSet<String> = education.into_iter().map(|r| r.0).collect();
    let sources = source_situations(&mut src, None).await?;
    // A child whose parents have no situation is in no category (`children::may_classify`): of a city's 330,000
    // children only those of the households where a parent has one are read — the parents with a death, a
    // disability or an illness in the registry (a partial index) or in the departments' loads — and every child
    // classified now or in full-time education; the rest are counted.
    let list = |n: usize| crate::app::verification::gather::json_list(backend, n);
    let json = |v: Vec<&str>| {
        serde_json::to_string(&v)
            .map(Arg::from)
            .map_err(|e| AppError::Internal(e.into()))
    };
    let mut parents: Vec<ParentRow> = src
        .rows(
            &format!(
                "SELECT par.household_id, par.id_number, par.sex, {FACTS} FROM persons par \
                 WHERE {PARENT_FACTS} AND par.household_id IS NOT NULL{}",
                touched("par", 1)
            ),
            load_arg(vec![]),
        )
        .await?;
    let mut in_sources: Vec<&str> = sources.keys().map(String::as_str).collect();
    in_sources.sort_unstable();
    parents.extend(
        src.rows::<ParentRow>(
            &format!(
                "SELECT par.household_id, par.id_number, par.sex, {FACTS} FROM persons par \
                 WHERE par.id_number IN ({}) AND par.relation IN ('self', 'spouse') \
                 AND par.household_id IS NOT NULL{}",
                list(1),
                touched("par", 2)
            ),
            load_arg(vec![json(in_sources)?]),
        )
        .await?,
    );
    // per household, each parent once (a parent can be in the registry's list and a department's)
    let mut by_household: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
    for (hid, idn, sex, facts) in parents {
        let v = by_household.entry(hid).or_default();
        if !v.iter().any(|p| p.0 == idn) {
            v.push((idn, sex, facts));
        }
    }
    let mut households: Vec<&str> = by_household.keys().map(String::as_str).collect();
    households.sort_unstable();
    let mut children: Vec<ChildRow> = src
        .rows(
            &format!(
                "SELECT c.id, c.id_number, c.area_code, c.town_code, c.status, c.household_id FROM persons c \
                 WHERE c.household_id IN ({}) AND c.relation = 'child' AND c.birth_date > $2",
                list(1)
            ),
            vec![json(households)?, cutoff(as_of).into()],
        )
        .await?;
    let under_18 = src
        .scalar(
            &format!(
                "SELECT COUNT(*) FROM persons c WHERE c.relation = 'child' AND c.birth_date > $1{}",
                touched("c", 2)
            ),
            load_arg(args![cutoff(as_of)]),
        )
        .await?;
    // the children classified now (whatever their parents) and those in full-time education past 18
    let held: Vec<ChildRow> = src
        .rows(
            &format!(
                "SELECT c.id, c.id_number, c.area_code, c.town_code, c.status, c.household_id FROM \
                 (SELECT person_id AS pid FROM child_classifications UNION SELECT person_id FROM child_registrations \
                 WHERE status = 'active' AND education_until >= $1) k JOIN persons c ON c.id = k.pid \
                 WHERE c.relation = 'child'{}",
                touched("c", 2)
            ),
            load_arg(args![as_of]),
        )
        .await?;
    let read: HashSet<String> = children.iter().map(|r| r.0.clone()).collect();
    let cut = cutoff(as_of);
    let far = NaiveDate::from_ymd_opt(2200, 1, 1).expect("date");
    let mut past_18: HashSet<String> = HashSet::new();
    for r in held {
        if read.contains(&r.0) {
            continue;
        }
        // the identity number carries the birth date: past 18 if born on or before the cutoff
        if IdNumber::parse(&r.1, far).is_ok_and(|i| i.birth_date() <= cut) {
            past_18.insert(r.0.clone());
        }
        children.push(r);
    }
    // one row a child and parent with a situation, as the household's change reads them
    let mut rows: Vec<ChildParentRow> = Vec::with_capacity(children.len() * 2);
    for (id, idn, area, town, status, hid) in children {
        match hid.as_deref().and_then(|h| by_household.get(h)) {
            Some(ps) => {
                for (pidn, sex, facts) in ps {
                    rows.push((
                        id.clone(),
                        idn.clone(),
                        area.clone(),
                        town.clone(),
                        status.clone(),
                        Some(pidn.clone()),
                        Some(sex.clone()),
                        Some(facts.clone()),
                    ));
                }
            }
            None => rows.push((id, idn, area, town, status, None, None, None)),
        }
    }
    let previous: Vec<(String, String)> = src
        .rows(
            "SELECT person_id, category FROM child_classifications",
            vec![],
        )
        .await?;
    drop(reader);
    let previous: HashMap<String, String> = previous.into_iter().collect();
    let current = classify_rows(rows, &sources, &education, &previous, as_of);
    let children = under_18 + past_18.len() as i64;
    let mut tx = app.db.begin().await?;
    let changed = write(&mut tx, by, cause, as_of, &current, &previous).await?;
    let summary = ReclassifySummary {
        children,
        classified: current.values().filter(|c| c.category.is_some()).count() as i64,
        changed,
    };
    crate::app::audit::record(
        &mut tx,
        ctx,
        crate::app::audit::Event::new("children.reclassify", "child_classification", "all")
            .after(serde_json::json!({"cause": cause, "summary": &summary})),
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

/// The children of one household, in the transaction of the change that touched it (a death, a move …).
pub(crate) async fn household_tx(
    tx: &mut Tx,
    by: &str,
    cause: &str,
    household_id: &str,
    as_of: NaiveDate,
) -> AppResult<i64> {
    let mut src = Src::Tx(tx);
    let rows: Vec<ChildParentRow> = src
        .rows(
            &child_sql("persons c", "c.household_id = $1"),
            args![household_id],
        )
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let parents: Vec<String> = rows
        .iter()
        .filter_map(|r| r.5.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let sources = source_situations(&mut src, Some(&parents)).await?;
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.0.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let marks = crate::storage::placeholders(2, ids.len());
    let mut a: Vec<Arg> = vec![as_of.into()];
    a.extend(ids.iter().map(|s| Arg::from(s.clone())));
    let education: Vec<(String,)> = src
        .rows(
            &format!(
                "SELECT person_id FROM child_registrations WHERE status = 'active' AND education_until >= $1 \
                 AND person_id IN ({marks})"
            ),
            a,
        )
        .await?;
    let education: HashSet<String> = education.into_iter().map(|r| r.0).collect();
    let previous: Vec<(String, String)> = src
        .rows(
            &format!(
                "SELECT person_id, category FROM child_classifications WHERE person_id IN ({})",
                crate::storage::placeholders(1, ids.len())
            ),
            ids.iter().map(|s| Arg::from(s.clone())).collect(),
        )
        .await?;
    let previous: HashMap<String, String> = previous.into_iter().collect();
    let current = classify_rows(rows, &sources, &education, &previous, as_of);
    write(tx, by, cause, as_of, &current, &previous).await
}

/// The batch on request: the city's child welfare section.
pub async fn run(app: &App, ctx: &Ctx) -> AppResult<ReclassifySummary> {
    ctx.actor.require(Permission::DecideChildAllowances)?;
    if !ctx.actor.in_scope(&app.areas().city_code) {
        return Err(AppError::Forbidden("重新认定由市局儿童福利科运行".into()));
    }
    batch(app, ctx, "儿童福利科重新认定", app.today(), None).await
}

// ---------- reading ----------

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ClassifiedQuery {
    /// orphan, de_facto_unsupported
    pub category: Option<String>,
    /// true: only children the rule classifies who hold no entry of that category on the register
    pub unregistered: Option<bool>,
    /// A town or village code within the caller's area.
    pub area: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ClassifiedChild {
    pub person_id: String,
    /// Masked.
    pub name: String,
    /// Masked.
    pub id_number: String,
    pub village: String,
    pub town: String,
    pub category: String,
    pub category_label: String,
    /// The rule's reasons, in words.
    pub reasons: String,
    pub as_of: NaiveDate,
    /// An entry of this category is in force on the register.
    pub registered: bool,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ClassificationChange {
    pub person_id: String,
    pub name: String,
    pub village: String,
    pub town: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reasons: String,
    pub cause: String,
    pub as_of: NaiveDate,
    pub changed_by: String,
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Classified {
    pub total: i64,
    /// Classified by the rule and not on the register: leads for the village's 儿童主任.
    pub unregistered: i64,
    /// The first 200.
    pub items: Vec<ClassifiedChild>,
    /// The latest 100 changes.
    pub changes: Vec<ClassificationChange>,
}

fn reasons_text(json: &str) -> String {
    let v: Vec<minzheng_domain::children::Reason> = serde_json::from_str(json).unwrap_or_default();
    if v.is_empty() {
        return if json.contains("status") {
            "居民信息库中已死亡或迁出".into()
        } else {
            String::new()
        };
    }
    v.iter()
        .map(|r| match r.parent {
            Some(p) => format!("{}{}", p.label(), r.code.label()),
            None => r.code.label().to_string(),
        })
        .collect::<Vec<_>>()
        .join("；")
}

fn label(cat: Option<&str>) -> Option<String> {
    cat.map(|c| super::category_label(c).to_string())
}

pub async fn classified(app: &App, ctx: &Ctx, q: &ClassifiedQuery) -> AppResult<Classified> {
    ctx.actor.require(Permission::ReadChildren)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("k.area_code", "k.town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let reg = "EXISTS (SELECT 1 FROM child_registrations r WHERE r.person_id = k.person_id \
               AND r.category = k.category AND r.status = 'active')";
    let mut sql =
        format!("FROM child_classifications k JOIN persons p ON p.id = k.person_id WHERE {cond}");
    if let Some(c) = q.category.as_deref().filter(|s| !s.is_empty()) {
        args.push(c.to_string().into());
        sql.push_str(&format!(" AND k.category = ${}", args.len()));
    }
    let mut conn = app.db.conn();
    let unregistered: i64 = conn
        .scalar(
            &format!("SELECT COUNT(*) {sql} AND NOT {reg}"),
            args.clone(),
        )
        .await?;
    if q.unregistered == Some(true) {
        sql.push_str(&format!(" AND NOT {reg}"));
    }
    let total: i64 = conn
        .scalar(&format!("SELECT COUNT(*) {sql}"), args.clone())
        .await?;
    type R = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        NaiveDate,
        i64,
    );
    let rows: Vec<R> = conn
        .fetch_all(
            &format!(
                "SELECT k.person_id, p.name, p.id_number, k.area_code, k.town_code, k.category, k.reasons_json, k.as_of, \
                 CAST(CASE WHEN {reg} THEN 1 ELSE 0 END AS BIGINT) {sql} ORDER BY k.area_code, k.person_id LIMIT 200"
            ),
            args.clone(),
        )
        .await?;
    let areas = app.areas();
    let items = rows
        .into_iter()
        .map(
            |(pid, name, idn, area, town, cat, reasons, as_of, registered)| ClassifiedChild {
                person_id: pid,
                name: minzheng_domain::idnumber::mask_name(&name),
                id_number: minzheng_domain::idnumber::mask(&idn),
                village: areas.name(&area),
                town: areas.name(&town),
                category_label: super::category_label(&cat).into(),
                category: cat,
                reasons: reasons_text(&reasons),
                as_of,
                registered: registered == 1,
            },
        )
        .collect();
    let (ccond, ca) = filter.sql("h.area_code", "h.town_code", 1);
    type H = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        NaiveDate,
        String,
        chrono::DateTime<chrono::Utc>,
    );
    let hist: Vec<H> = conn
        .fetch_all(
            &format!(
                "SELECT h.person_id, p.name, h.area_code, h.town_code, h.before_cat, h.after_cat, h.reasons_json, h.cause, \
                 h.as_of, h.changed_by, h.changed_at FROM child_classification_changes h JOIN persons p ON p.id = h.person_id \
                 WHERE {ccond} ORDER BY h.changed_at DESC, h.id DESC LIMIT 100"
            ),
            ca.into_iter().collect(),
        )
        .await?;
    let changes = hist
        .into_iter()
        .map(
            |(pid, name, area, town, b, a, reasons, cause, as_of, by, at)| ClassificationChange {
                person_id: pid,
                name: minzheng_domain::idnumber::mask_name(&name),
                village: areas.name(&area),
                town: areas.name(&town),
                before: label(b.as_deref()),
                after: label(a.as_deref()),
                reasons: reasons_text(&reasons),
                cause,
                as_of,
                changed_by: by,
                changed_at: at,
            },
        )
        .collect();
    Ok(Classified {
        total,
        unregistered,
        items,
        changes,
    })
}
