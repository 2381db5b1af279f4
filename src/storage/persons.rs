//! Residents registry: persons and households.

use super::{Arg, Db, DbResult, Tx};
use crate::args;
use chrono::{DateTime, NaiveDate, Utc};

/// Which part of the area tree a query may see. Area codes are hierarchical by prefix;
/// town and village filters use their own indexed columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AreaFilter {
    Prefix(String),
    Town(String),
    Village(String),
    /// Matches nothing: a requested area outside the caller's scope.
    Nothing,
    /// Every area the database holds: a scope that covers them all needs no condition.
    Everything,
}

impl AreaFilter {
    /// A condition on `area_col`/`town_col` using placeholder `$idx`.
    pub fn sql(&self, area_col: &str, town_col: &str, idx: usize) -> (String, Option<Arg>) {
        match self {
            // LIKE, not a range: SQLite's planner takes a range on an indexed area column as selective and walks the
            // whole city's index (a 漏保 candidate join went from 0.04 s to 2.5 s). A bound LIKE pattern makes SQLite
            // recompile the statement at each call, which is why the person search avoids the city prefix
            // altogether when it covers every area (`Everything`).
            AreaFilter::Prefix(p) => (
                format!("{area_col} LIKE ${idx}"),
                Some(Arg::from(format!("{p}%"))),
            ),
            AreaFilter::Town(t) => (format!("{town_col} = ${idx}"), Some(Arg::from(t.as_str()))),
            AreaFilter::Village(v) => (format!("{area_col} = ${idx}"), Some(Arg::from(v.as_str()))),
            AreaFilter::Nothing => ("1 = 0".into(), None),
            AreaFilter::Everything => ("1 = 1".into(), None),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: String,
    pub id_number: String,
    pub id_last4: String,
    pub name: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub phone: String,
    pub address: String,
    pub hukou_area_code: String,
    pub area_code: String,
    pub town_code: String,
    pub status: String,
    pub household_id: Option<String>,
    pub relation: String,
    pub employed: bool,
    pub monthly_income: i64,
    pub disability_kind: Option<String>,
    pub disability_grade: Option<i32>,
    pub serious_illness: bool,
    pub lives_alone: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const PERSON_COLS: &str = "id, id_number, id_last4, name, sex, birth_date, phone, address, hukou_area_code, area_code, \
     town_code, status, household_id, relation, employed, monthly_income, disability_kind, disability_grade, \
     serious_illness, lives_alone, created_at, updated_at";
pub const PERSON_NCOLS: usize = 22;

impl PersonRow {
    pub fn args(&self) -> Vec<Arg> {
        args![
            &self.id,
            &self.id_number,
            &self.id_last4,
            &self.name,
            &self.sex,
            self.birth_date,
            &self.phone,
            &self.address,
            &self.hukou_area_code,
            &self.area_code,
            &self.town_code,
            &self.status,
            self.household_id.clone(),
            &self.relation,
            self.employed,
            self.monthly_income,
            self.disability_kind.clone(),
            self.disability_grade,
            self.serious_illness,
            self.lives_alone,
            self.created_at,
            self.updated_at
        ]
    }
}

/// What a search list shows of a person: a page decodes these columns, not all of them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonListRow {
    pub id: String,
    pub id_number: String,
    pub name: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub area_code: String,
    /// How many persons match the whole search (the same on every row of a page).
    pub total: i64,
}

const PERSON_LIST_COLS: &str = "id, id_number, name, sex, birth_date, area_code";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HouseholdRow {
    pub id: String,
    pub area_code: String,
    pub town_code: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
}

pub const HOUSEHOLD_COLS: &str = "id, area_code, town_code, address, created_at";

impl HouseholdRow {
    pub fn args(&self) -> Vec<Arg> {
        args![
            &self.id,
            &self.area_code,
            &self.town_code,
            &self.address,
            self.created_at
        ]
    }
}

/// What a search looks for; built by the application layer from the user's text.
#[derive(Debug, Clone)]
pub enum PersonQuery {
    All,
    IdNumber(String),
    /// The last 4+ characters of the number.
    IdSuffix(String),
    /// A name or the beginning of one.
    NamePrefix(String),
}

fn where_clause(q: &PersonQuery, area: &AreaFilter) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let mut conds = Vec::new();
    match q {
        PersonQuery::All => {}
        PersonQuery::IdNumber(n) => {
            args.push(Arg::from(n.as_str()));
            conds.push(format!("id_number = ${}", args.len()));
        }
        PersonQuery::IdSuffix(s) => {
            args.push(Arg::from(&s[s.len() - 4..]));
            conds.push(format!("id_last4 = ${}", args.len()));
            if s.len() > 4 {
                args.push(Arg::from(format!("%{s}")));
                conds.push(format!("id_number LIKE ${}", args.len()));
            }
        }
        PersonQuery::NamePrefix(p) => {
            // A range on the name index: with a byte/code-point collation (SQLite BINARY, PostgreSQL C.UTF-8)
            // every name starting with p sorts between p and p's last character + 1.
            let mut upper: Vec<char> = p.chars().collect();
            let last = upper.pop().unwrap_or('\0');
            upper.push(char::from_u32(last as u32 + 1).unwrap_or(char::MAX));
            args.push(Arg::from(p.as_str()));
            conds.push(format!("name >= ${}", args.len()));
            args.push(Arg::from(upper.into_iter().collect::<String>()));
            conds.push(format!("name < ${}", args.len()));
        }
    }
    // The last-4 index carries the town, not the village: a city-wide prefix is tested on town_code (a town's code
    // begins with its city's), so counting a number search reads no rows.
    let area_col = match (q, area) {
        (PersonQuery::IdSuffix(_), AreaFilter::Prefix(_)) => "town_code",
        _ => "area_code",
    };
    let (c, a) = area.sql(area_col, "town_code", args.len() + 1);
    conds.push(c);
    args.extend(a);
    (conds.join(" AND "), args)
}

pub const COUNT_CAP: i64 = 10_000;

pub async fn search(
    db: &Db,
    q: &PersonQuery,
    area: &AreaFilter,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<PersonListRow>, i64)> {
    let (w, args) = where_clause(q, area);
    let mut conn = db.conn();
    // Each order follows its index, so a page reads little more than its own rows: a number search by town, then
    // name (the leading `id_last4` is constant within the result and keeps the planner on the last-4 index;
    // ordering by name alone let SQLite walk a whole town's name index looking for a rare ending); a name search by
    // name, then village (`name, id` read every namesake's row to sort them: 530 for a common name city-wide).
    let order = match q {
        PersonQuery::IdSuffix(_) | PersonQuery::IdNumber(_) => "id_last4, town_code, name, id",
        _ => "name, area_code, id",
    };
    let mut page_args = args.clone();
    page_args.push(Arg::from(limit));
    page_args.push(Arg::from(offset));
    let n = page_args.len();
    // The page and the count in one statement (one round trip; the count runs once, as a subquery the page does not
    // depend on). A page past the end has no row to carry the count: it is asked for then.
    let rows: Vec<PersonListRow> = conn
        .fetch_all(
            &format!(
                "SELECT {PERSON_LIST_COLS}, (SELECT COUNT(*) FROM persons WHERE {w}) AS total FROM persons WHERE {w} \
                 ORDER BY {order} LIMIT ${} OFFSET ${}",
                n - 1,
                n
            ),
            page_args,
        )
        .await?;
    let total = match rows.first() {
        Some(r) => r.total,
        None if offset == 0 => 0,
        None => {
            conn.scalar(&format!("SELECT COUNT(*) FROM persons WHERE {w}"), args)
                .await?
        }
    };
    Ok((rows, total))
}

/// Streams every matching person to `f` (exports).
pub async fn for_each<F>(db: &Db, q: &PersonQuery, area: &AreaFilter, f: F) -> DbResult<()>
where
    F: FnMut(PersonRow) -> DbResult<()> + Send,
{
    let (w, args) = where_clause(q, area);
    db.conn()
        .for_each(&format!("SELECT {PERSON_COLS} FROM persons WHERE {w} ORDER BY town_code, area_code, name, id"), args, f)
        .await
}

pub async fn get(db: &Db, id: &str) -> DbResult<Option<PersonRow>> {
    db.conn()
        .fetch_optional(
            &format!("SELECT {PERSON_COLS} FROM persons WHERE id = $1"),
            args![id],
        )
        .await
}

pub async fn get_tx(tx: &mut Tx, id: &str) -> DbResult<Option<PersonRow>> {
    tx.fetch_optional(
        &format!("SELECT {PERSON_COLS} FROM persons WHERE id = $1"),
        args![id],
    )
    .await
}

pub async fn by_id_number_tx(tx: &mut Tx, id_number: &str) -> DbResult<Option<PersonRow>> {
    tx.fetch_optional(
        &format!("SELECT {PERSON_COLS} FROM persons WHERE id_number = $1"),
        args![id_number],
    )
    .await
}

pub async fn members(db: &Db, household_id: &str) -> DbResult<Vec<PersonRow>> {
    db.conn()
        .fetch_all(
            &format!(
                "SELECT {PERSON_COLS} FROM persons WHERE household_id = $1 ORDER BY birth_date, id"
            ),
            args![household_id],
        )
        .await
}

pub async fn insert_person(tx: &mut Tx, p: &PersonRow) -> DbResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO persons ({PERSON_COLS}) VALUES ({})",
            super::placeholders(1, PERSON_NCOLS)
        ),
        p.args(),
    )
    .await?;
    add_residents(tx, &residents_of(std::slice::from_ref(p))).await
}

/// Normal persons per village among `rows`: what inserting them adds to `area_residents`.
pub fn residents_of(rows: &[PersonRow]) -> Vec<(String, i64)> {
    let mut per: std::collections::BTreeMap<&str, i64> = Default::default();
    for p in rows.iter().filter(|p| p.status == "normal") {
        *per.entry(&p.area_code).or_default() += 1;
    }
    per.into_iter().map(|(a, n)| (a.to_string(), n)).collect()
}

/// Adds to the kept residents per village (migration 0014); every write to persons calls it in its transaction.
pub async fn add_residents(tx: &mut Tx, counts: &[(String, i64)]) -> DbResult<()> {
    for (area, n) in counts {
        tx.execute(
            "INSERT INTO area_residents (area_code, residents) VALUES ($1, $2) \
             ON CONFLICT (area_code) DO UPDATE SET residents = area_residents.residents + excluded.residents",
            args![area, *n],
        )
        .await?;
    }
    Ok(())
}

pub async fn update_person(tx: &mut Tx, p: &PersonRow) -> DbResult<()> {
    // The person's row is locked first (on PostgreSQL; SQLite has one writer), so the row as it was is read as the
    // last writer left it: two concurrent changes of one person cannot both take it out of its village.
    let locked = tx
        .execute("UPDATE persons SET id = id WHERE id = $1", args![&p.id])
        .await?;
    if locked == 0 {
        return Ok(());
    }
    let (area, status): (String, String) = tx
        .fetch_one(
            "SELECT area_code, status FROM persons WHERE id = $1",
            args![&p.id],
        )
        .await?;
    // the row as it was leaves the kept residents, the row as it is comes in; villages in code order, so that two
    // writers moving people between the same villages take their rows' locks in the same order
    let mut change: std::collections::BTreeMap<String, i64> = Default::default();
    if status == "normal" {
        *change.entry(area).or_default() -= 1;
    }
    for (a, n) in residents_of(std::slice::from_ref(p)) {
        *change.entry(a).or_default() += n;
    }
    let change: Vec<(String, i64)> = change.into_iter().filter(|(_, n)| *n != 0).collect();
    add_residents(tx, &change).await?;
    tx.execute(
        "UPDATE persons SET name = $2, phone = $3, address = $4, hukou_area_code = $5, area_code = $6, town_code = $7, \
         status = $8, household_id = $9, relation = $10, employed = $11, monthly_income = $12, disability_kind = $13, \
         disability_grade = $14, serious_illness = $15, lives_alone = $16, updated_at = $17 WHERE id = $1",
        args![
            &p.id,
            &p.name,
            &p.phone,
            &p.address,
            &p.hukou_area_code,
            &p.area_code,
            &p.town_code,
            &p.status,
            p.household_id.clone(),
            &p.relation,
            p.employed,
            p.monthly_income,
            p.disability_kind.clone(),
            p.disability_grade,
            p.serious_illness,
            p.lives_alone,
            p.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn household(db: &Db, id: &str) -> DbResult<Option<HouseholdRow>> {
    db.conn()
        .fetch_optional(
            &format!("SELECT {HOUSEHOLD_COLS} FROM households WHERE id = $1"),
            args![id],
        )
        .await
}

pub async fn household_tx(tx: &mut Tx, id: &str) -> DbResult<Option<HouseholdRow>> {
    tx.fetch_optional(
        &format!("SELECT {HOUSEHOLD_COLS} FROM households WHERE id = $1"),
        args![id],
    )
    .await
}

pub async fn insert_household(tx: &mut Tx, h: &HouseholdRow) -> DbResult<()> {
    tx.execute(
        &format!("INSERT INTO households ({HOUSEHOLD_COLS}) VALUES ($1, $2, $3, $4, $5)"),
        h.args(),
    )
    .await?;
    Ok(())
}

/// Counts for the home page, all within one area filter.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RegistryCounts {
    pub persons: i64,
    pub households: i64,
    pub elderly_60: i64,
    pub elderly_80_alone: i64,
    pub disabled: i64,
    pub seriously_ill: i64,
}

pub async fn counts(
    db: &Db,
    area: &AreaFilter,
    born_before_60: NaiveDate,
    born_before_80: NaiveDate,
) -> DbResult<RegistryCounts> {
    let (c, a) = area.sql("area_code", "town_code", 3);
    let mut args = args![born_before_60, born_before_80];
    args.extend(a);
    #[derive(sqlx::FromRow)]
    struct Row {
        persons: i64,
        elderly_60: i64,
        elderly_80_alone: i64,
        disabled: i64,
        seriously_ill: i64,
    }
    let mut conn = db.conn();
    let r: Row = conn
        .fetch_one(
            &format!(
                "SELECT COUNT(*) AS persons, \
                 CAST(COALESCE(SUM(CASE WHEN birth_date <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS elderly_60, \
                 CAST(COALESCE(SUM(CASE WHEN birth_date <= $2 AND lives_alone THEN 1 ELSE 0 END), 0) AS BIGINT) AS elderly_80_alone, \
                 CAST(COALESCE(SUM(CASE WHEN disability_grade IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS disabled, \
                 CAST(COALESCE(SUM(CASE WHEN serious_illness THEN 1 ELSE 0 END), 0) AS BIGINT) AS seriously_ill \
                 FROM persons WHERE status = 'normal' AND {c}"
            ),
            args,
        )
        .await?;
    let (hc, ha) = area.sql("area_code", "town_code", 1);
    let households = conn
        .scalar(
            &format!("SELECT COUNT(*) FROM households WHERE {hc}"),
            ha.into_iter().collect(),
        )
        .await?;
    Ok(RegistryCounts {
        persons: r.persons,
        households,
        elderly_60: r.elderly_60,
        elderly_80_alone: r.elderly_80_alone,
        disabled: r.disabled,
        seriously_ill: r.seriously_ill,
    })
}

/// Persons per town within the filter (for the home page chart).
pub async fn per_town(db: &Db, area: &AreaFilter) -> DbResult<Vec<(String, i64)>> {
    let (c, a) = area.sql("area_code", "town_code", 1);
    db.conn()
        .fetch_all(
            &format!("SELECT town_code, COUNT(*) FROM persons WHERE status = 'normal' AND {c} GROUP BY town_code ORDER BY town_code"),
            a.into_iter().collect(),
        )
        .await
}

/// One page of an export in key order, so exports stream without holding the table.
pub async fn page_after(
    db: &Db,
    q: &PersonQuery,
    area: &AreaFilter,
    after_id: &str,
    limit: i64,
) -> DbResult<Vec<PersonRow>> {
    let (w, mut args) = where_clause(q, area);
    args.push(Arg::from(after_id));
    args.push(Arg::from(limit));
    let n = args.len();
    db.conn()
        .fetch_all(
            &format!(
                "SELECT {PERSON_COLS} FROM persons WHERE {w} AND id > ${} ORDER BY id LIMIT ${}",
                n - 1,
                n
            ),
            args,
        )
        .await
}
