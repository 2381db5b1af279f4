//! Storage: one schema (migrations/) and one set of SQL texts for SQLite and PostgreSQL.
//!
//! SQL is written once with `$N` placeholders, which both sqlx drivers accept. Queries run through
//! [`Db`] / [`Tx`], which dispatch to the concrete driver, so every row type is decoded by a real driver
//! (sqlx's `Any` driver cannot decode dates or timestamps). Values are passed as [`Arg`]s.
//! The SQL texts are the application's own (literals, or assembled from literals and placeholders): every value is
//! bound, never formatted in, which is what sqlx's `AssertSqlSafe` asserts at the one place queries are run.

pub mod areas;
pub mod audit;
pub mod key;
pub use key::DbKey;
pub mod persons;
mod sqlite_bulk;
pub(crate) use sqlite_bulk::blocking;
pub use sqlite_bulk::{RawCol, RawRow};
pub mod users;

use chrono::{DateTime, NaiveDate, Utc};
use futures::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, ConnectOptions, FromRow, Postgres, Sqlite};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// SQLite page cache per pooled connection, and for a bulk load's connection, in KiB.
const BULK_CACHE_KIB: u32 = 384 * 1024;
const INDEX_BUILD_CACHE_KIB: u32 = 8 * 1024;

/// The pools' settings from the deployment's configuration (`config.rs`; today's values are the defaults).
struct PoolSettings {
    sqlite_pool: u32,
    postgres_pool: u32,
    busy_seconds: u64,
    cache_kib: u64,
    mmap_bytes: u64,
    slow: Duration,
}

impl PoolSettings {
    fn from_config() -> PoolSettings {
        use crate::config::number;
        PoolSettings {
            sqlite_pool: number("sqlite_pool_size", 2..=256) as u32,
            postgres_pool: number("postgres_pool_size", 2..=1024) as u32,
            busy_seconds: number("db_busy_timeout_seconds", 1..=3600),
            cache_kib: number("sqlite_cache_mib", 1..=65536) * 1024,
            mmap_bytes: number("sqlite_mmap_mib", 0..=1 << 20) << 20,
            slow: Duration::from_secs(number("slow_statement_seconds", 1..=3600)),
        }
    }
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("数据库地址无效: {0}（应为 sqlite://文件 或 postgres://用户@主机:端口/库）")]
    BadUrl(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// From the SQLite C API on the bulk-insert path; `code` is the extended result code.
    #[error("SQLite 错误 {code}: {message}")]
    Sqlite { code: i32, message: String },
    /// The database key is missing, wrong or unreadable (the message says which, in Chinese).
    #[error("{0}")]
    Key(String),
    /// A transaction that changed rows was committed without its audit entry: rolled back instead (a defect of
    /// the use case, never of the user's input).
    #[error("此次修改没有记录审计日志，已撤销")]
    Unaudited,
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            DbError::Sqlite { code, .. } => matches!(
                *code,
                libsqlite3_sys::SQLITE_CONSTRAINT_UNIQUE
                    | libsqlite3_sys::SQLITE_CONSTRAINT_PRIMARYKEY
            ),
            _ => false,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the two backends.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool, Arc<Mutex<()>>),
    Postgres(PgPool),
}

/// A bound value. Only types both drivers encode identically are allowed.
#[derive(Clone, Debug)]
pub enum Arg {
    Text(Option<String>),
    I64(Option<i64>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
    Ts(Option<DateTime<Utc>>),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::I64(v)
    }
}
impl From<i32> for Arg {
    fn from(v: i32) -> Self {
        Arg::I64(Some(v.into()))
    }
}
impl From<Option<i32>> for Arg {
    fn from(v: Option<i32>) -> Self {
        Arg::I64(v.map(Into::into))
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(Some(v))
    }
}
impl From<NaiveDate> for Arg {
    fn from(v: NaiveDate) -> Self {
        Arg::Date(Some(v))
    }
}
impl From<Option<NaiveDate>> for Arg {
    fn from(v: Option<NaiveDate>) -> Self {
        Arg::Date(v)
    }
}
impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Self {
        Arg::Ts(Some(v))
    }
}
impl From<Option<DateTime<Utc>>> for Arg {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Arg::Ts(v)
    }
}
impl From<uuid::Uuid> for Arg {
    fn from(v: uuid::Uuid) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}

/// `args![a, b, c]` → `Vec<Arg>`.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::storage::Arg::from($v)),*] };
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(v) => q.bind(v),
                Arg::I64(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::Date(v) => q.bind(v),
                Arg::Ts(v) => q.bind(v),
            };
        }
        q
    }};
}

/// SQLite looks up each named `$N` parameter by a linear search (quadratic in a multi-row INSERT), and
/// so does the driver's `sqlite3_bind_parameter_name`. When the placeholders run 1, 2, 3, … in order they
/// become anonymous `?`s; otherwise numbered `?N`s. Same SQL text, same meaning.
pub fn sqlite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('$') {
        return std::borrow::Cow::Borrowed(sql);
    }
    let b = sql.as_bytes();
    let mut pieces: Vec<(usize, usize, u32)> = Vec::new(); // (start, end, number)
    let mut in_literal = false;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\'' {
            in_literal = !in_literal;
        } else if b[i] == b'$' && !in_literal && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            pieces.push((i, j, sql[i + 1..j].parse().unwrap_or(0)));
            i = j;
            continue;
        }
        i += 1;
    }
    let sequential = pieces
        .iter()
        .enumerate()
        .all(|(k, p)| p.2 as usize == k + 1);
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for (start, end, n) in pieces {
        out.push_str(&sql[last..start]);
        if sequential {
            out.push('?');
        } else {
            out.push_str(&format!("?{n}"));
        }
        last = end;
    }
    out.push_str(&sql[last..]);
    std::borrow::Cow::Owned(out)
}

/// A row type decodable from both drivers.
pub trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}
impl<T> Row for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

/// The same query methods on a pool and on a transaction.
macro_rules! query_methods {
    ($sq:pat => $se:expr, $pg:pat => $pe:expr) => {
        pub async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> DbResult<u64> {
            self.note_write();
            Ok(match self.inner() {
                $sq => {
                    let sql = AssertSqlSafe(sqlite_sql(sql).into_owned());
                    bind_all!(sqlx::query::<Sqlite>(sql), args)
                        .execute($se)
                        .await?
                        .rows_affected()
                }
                $pg => bind_all!(sqlx::query::<Postgres>(AssertSqlSafe(sql)), args)
                    .execute($pe)
                    .await?
                    .rows_affected(),
            })
        }
        pub async fn fetch_all<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> DbResult<Vec<T>> {
            Ok(match self.inner() {
                $sq => {
                    let sql = AssertSqlSafe(sqlite_sql(sql).into_owned());
                    bind_all!(sqlx::query_as::<Sqlite, T>(sql), args)
                        .fetch_all($se)
                        .await?
                }
                $pg => {
                    bind_all!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql)), args)
                        .fetch_all($pe)
                        .await?
                }
            })
        }
        pub async fn fetch_optional<T: Row>(
            &mut self,
            sql: &str,
            args: Vec<Arg>,
        ) -> DbResult<Option<T>> {
            Ok(match self.inner() {
                $sq => {
                    let sql = AssertSqlSafe(sqlite_sql(sql).into_owned());
                    bind_all!(sqlx::query_as::<Sqlite, T>(sql), args)
                        .fetch_optional($se)
                        .await?
                }
                $pg => {
                    bind_all!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql)), args)
                        .fetch_optional($pe)
                        .await?
                }
            })
        }
        pub async fn fetch_one<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> DbResult<T> {
            Ok(match self.inner() {
                $sq => {
                    let sql = AssertSqlSafe(sqlite_sql(sql).into_owned());
                    bind_all!(sqlx::query_as::<Sqlite, T>(sql), args)
                        .fetch_one($se)
                        .await?
                }
                $pg => {
                    bind_all!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql)), args)
                        .fetch_one($pe)
                        .await?
                }
            })
        }
        /// A single BIGINT (write `CAST(... AS BIGINT)` around aggregates: PostgreSQL's SUM is NUMERIC).
        pub async fn scalar(&mut self, sql: &str, args: Vec<Arg>) -> DbResult<i64> {
            let (v,): (i64,) = self.fetch_one(sql, args).await?;
            Ok(v)
        }
        /// Streams rows to `f` without holding the result set in memory.
        pub async fn for_each<T: Row, F>(
            &mut self,
            sql: &str,
            args: Vec<Arg>,
            mut f: F,
        ) -> DbResult<()>
        where
            F: FnMut(T) -> DbResult<()> + Send,
        {
            match self.inner() {
                $sq => {
                    let sql = AssertSqlSafe(sqlite_sql(sql).into_owned());
                    let mut s = bind_all!(sqlx::query_as::<Sqlite, T>(sql), args).fetch($se);
                    while let Some(row) = s.try_next().await? {
                        f(row)?;
                    }
                }
                $pg => {
                    let mut s = bind_all!(sqlx::query_as::<Postgres, T>(AssertSqlSafe(sql)), args)
                        .fetch($pe);
                    while let Some(row) = s.try_next().await? {
                        f(row)?;
                    }
                }
            }
            Ok(())
        }
    };
}

pub enum PoolRef<'a> {
    Sqlite(&'a SqlitePool),
    Postgres(&'a PgPool),
}

/// A handle that lets the pool be used with the `&mut self` query methods.
pub struct Conn<'a>(PoolRef<'a>);

impl<'a> Conn<'a> {
    /// A statement outside a transaction commits on its own; only a [`Tx`] keeps account of its writes.
    fn note_write(&mut self) {}

    fn inner(&mut self) -> &mut PoolRef<'a> {
        &mut self.0
    }
    query_methods!(PoolRef::Sqlite(p) => *p, PoolRef::Postgres(p) => *p);
}

pub enum ReaderInner {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

/// One pooled connection held for a batch of reads (see [`Db::reader`]).
pub struct Reader(ReaderInner);

impl Reader {
    /// A reader does not write (and has no transaction to account for).
    fn note_write(&mut self) {}
    fn inner(&mut self) -> &mut ReaderInner {
        &mut self.0
    }
    query_methods!(ReaderInner::Sqlite(c) => &mut **c, ReaderInner::Postgres(c) => &mut **c);

    pub fn backend(&self) -> Backend {
        match self.0 {
            ReaderInner::Sqlite(_) => Backend::Sqlite,
            ReaderInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// As [`Reader::fetch_all`], for reads of many rows: on SQLite stepped through the C API on this thread,
    /// not sent row by row from sqlx's worker thread (a verification's 30,000 source rows: a quarter of the time).
    pub async fn select<T: Row + sqlite_bulk::RawRow>(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> DbResult<Vec<T>> {
        match &mut self.0 {
            ReaderInner::Sqlite(c) => sqlite_bulk::select_rows(c, &sqlite_sql(sql), &args).await,
            ReaderInner::Postgres(_) => self.fetch_all(sql, args).await,
        }
    }
}

pub enum TxInner {
    Sqlite(sqlx::Transaction<'static, Sqlite>, OwnedMutexGuard<()>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// A write transaction. On SQLite, writers are serialised by a process-wide lock
/// (a deferred SQLite transaction that reads before writing can fail with SQLITE_BUSY instead of waiting).
pub struct Tx(TxInner, Audited);

/// What a transaction has written and whether its audit entry is in it: a transaction that changed rows commits
/// only with one (`audit::record` marks it), or with the named reason it needs none (sessions, login attempts,
/// seeding), so a use case cannot forget the log.
#[derive(Default)]
pub struct Audited {
    wrote: bool,
    audited: bool,
    exempt: Option<&'static str>,
}

impl Tx {
    fn inner(&mut self) -> &mut TxInner {
        &mut self.0
    }

    fn note_write(&mut self) {
        self.1.wrote = true;
    }

    /// The transaction carries its audit entry (called by `app::audit::record`).
    pub fn mark_audited(&mut self) {
        self.1.audited = true;
    }

    /// The transaction's writes need no audit entry, and why: bookkeeping of the platform itself (a session's last
    /// use, a login attempt being counted, data seeded when the database is created), never a business change.
    pub fn unaudited(&mut self, why: &'static str) {
        self.1.exempt = Some(why);
    }
    query_methods!(TxInner::Sqlite(t, _) => &mut **t, TxInner::Postgres(t) => &mut **t);

    /// As [`Reader::select`], inside this transaction: many rows on SQLite through the C API.
    pub async fn select<T: Row + sqlite_bulk::RawRow>(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> DbResult<Vec<T>> {
        match &mut self.0 {
            TxInner::Sqlite(t, _) => sqlite_bulk::select_rows(t, &sqlite_sql(sql), &args).await,
            TxInner::Postgres(_) => self.fetch_all(sql, args).await,
        }
    }

    /// Multi-row INSERTs in statements of at most ~20,000 values, under both drivers' bind limits; each
    /// statement shape is prepared once and reused.
    pub async fn insert_many(
        &mut self,
        table: &str,
        cols: &str,
        rows: Vec<Vec<Arg>>,
    ) -> DbResult<()> {
        let Some(n) = rows.first().map(Vec::len) else {
            return Ok(());
        };
        for chunk in rows.chunks((20_000 / n).max(1)) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * n + 1, n)))
                .collect();
            self.execute(
                &format!("INSERT INTO {table} ({cols}) VALUES {}", values.join(", ")),
                chunk.iter().flatten().cloned().collect(),
            )
            .await?;
        }
        Ok(())
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self.0, TxInner::Sqlite(..))
    }

    /// `SELECT … FOR UPDATE` for a row this transaction is about to change. On PostgreSQL the row is locked until
    /// commit and a waiting transaction re-reads the committed version; SQLite's writers are already serialised by
    /// the process-wide lock this transaction holds, so the clause is left out there.
    pub fn for_update(&self) -> &'static str {
        match self.0 {
            TxInner::Sqlite(..) => "",
            TxInner::Postgres(_) => " FOR UPDATE",
        }
    }

    /// The non-unique indexes of `table` as (name, the DDL that recreates it), for bulk loads that drop and rebuild
    /// them. Unique indexes stay: they are constraints.
    pub async fn secondary_indexes(&mut self, table: &str) -> DbResult<Vec<(String, String)>> {
        let sql = match &self.0 {
            TxInner::Sqlite(..) => {
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL \
                 AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
            }
            TxInner::Postgres(_) => {
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 AND schemaname = current_schema() \
                 AND indexdef NOT LIKE 'CREATE UNIQUE%' ORDER BY indexname"
            }
        };
        self.fetch_all(sql, vec![Arg::from(table)]).await
    }

    /// Foreign keys of `table` as (constraint name, definition) on PostgreSQL, which checks each with a query per
    /// inserted row; a bulk load drops them and adds them back, checking every row in one join. SQLite's checks
    /// are index probes in the same B-tree pass and stay.
    pub async fn foreign_keys(&mut self, table: &str) -> DbResult<Vec<(String, String)>> {
        match &self.0 {
            TxInner::Sqlite(..) => Ok(Vec::new()),
            TxInner::Postgres(_) => {
                self.fetch_all(
                    "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
                     WHERE conrelid = to_regclass($1) AND contype = 'f' ORDER BY conname",
                    vec![Arg::from(table)],
                )
                .await
            }
        }
    }

    /// For a bulk load in this transaction: on SQLite a big page cache (random inserts into a unique index of
    /// millions of entries thrash the normal 16 MiB), and back to normal; on PostgreSQL memory for the index
    /// builds.
    pub async fn bulk_cache(&mut self, on: bool) -> DbResult<()> {
        if self.is_sqlite() {
            let size = if on {
                u64::from(BULK_CACHE_KIB)
            } else {
                PoolSettings::from_config().cache_kib
            };
            self.execute(&format!("PRAGMA cache_size = -{size}"), vec![])
                .await?;
            // back from bulk_index_build's helper threads
            self.execute("PRAGMA threads = 0", vec![]).await?;
        } else if on {
            // index builds at the end sort in memory; SET LOCAL ends with the transaction
            self.execute(
                &format!("SET LOCAL maintenance_work_mem = '{}kB'", BULK_CACHE_KIB),
                vec![],
            )
            .await?;
        }
        Ok(())
    }

    /// Before the indexes dropped for a bulk write are built again. On SQLite each build sorts in runs the size of
    /// the page cache: with a small cache and helper threads the runs sort on both cores, where one run the size of
    /// the bulk cache sorted on one (the 7.2-million-row source index: 3.3 s against 5.0 s with the sqlite3 shell).
    pub async fn bulk_index_build(&mut self) -> DbResult<()> {
        if self.is_sqlite() {
            self.execute(
                &format!("PRAGMA cache_size = -{INDEX_BUILD_CACHE_KIB}"),
                vec![],
            )
            .await?;
            self.execute("PRAGMA threads = 2", vec![]).await?;
        }
        Ok(())
    }

    /// Bulk load for big files: COPY on PostgreSQL, multi-row statements through SQLite's C API. Values are rows of
    /// `cols`.
    pub async fn copy_rows(
        &mut self,
        table: &str,
        cols: &[&str],
        rows: Vec<Vec<Arg>>,
    ) -> DbResult<()> {
        self.copy_rows_with(table, cols, &[], rows).await
    }

    /// As [`Tx::copy_rows`], every row starting with the same `leading` values (a load's id on each of its
    /// millions of rows): given once, not cloned into each row.
    pub async fn copy_rows_with(
        &mut self,
        table: &str,
        cols: &[&str],
        leading: &[Arg],
        rows: Vec<Vec<Arg>>,
    ) -> DbResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.note_write();
        match &mut self.0 {
            TxInner::Postgres(t) => {
                let mut buf = Vec::with_capacity(rows.len() * 64);
                for r in &rows {
                    for (i, a) in leading.iter().chain(r).enumerate() {
                        if i > 0 {
                            buf.push(b'\t');
                        }
                        copy_text(&mut buf, a);
                    }
                    buf.push(b'\n');
                }
                let mut copy = t
                    .copy_in_raw(&format!("COPY {table} ({}) FROM STDIN", cols.join(", ")))
                    .await?;
                copy.send(buf).await?;
                copy.finish().await?;
                Ok(())
            }
            TxInner::Sqlite(t, _) => sqlite_bulk::insert_rows(t, table, cols, leading, &rows).await,
        }
    }

    pub async fn commit(self) -> DbResult<()> {
        if self.1.wrote && !self.1.audited && self.1.exempt.is_none() {
            // dropped unfinished: the changes roll back
            tracing::error!("a transaction that changed rows was committed without an audit entry");
            #[cfg(debug_assertions)]
            eprintln!(
                "UNAUDITED-TRACE {}",
                std::backtrace::Backtrace::force_capture()
            );
            return Err(DbError::Unaudited);
        }
        match self.0 {
            TxInner::Sqlite(t, _g) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

impl Db {
    /// Connects to `sqlite://path` (created if missing; WAL) or `postgres://…`. An SQLite file is opened with the
    /// key of `MINZHENG_DB_KEY` / `MINZHENG_DB_KEY_FILE` when one is set (see [`DbKey`]).
    pub async fn connect(url: &str) -> DbResult<Db> {
        Self::connect_with(url, None).await
    }

    /// As [`Db::connect`]; on PostgreSQL `schema` (created if missing) becomes the search path — tests use one each.
    pub async fn connect_with(url: &str, schema: Option<&str>) -> DbResult<Db> {
        Self::open(url, schema, false, env_key()?).await
    }

    /// As [`Db::connect`] on SQLite with this key (or explicitly none), whatever the environment says.
    pub async fn connect_keyed(url: &str, key: Option<DbKey>) -> DbResult<Db> {
        Self::open(url, None, false, key).await
    }

    /// As [`Db::connect`], for a server: SQLite reads map the file, so every pooled connection shares the OS page
    /// cache and a search costs no read() calls (the search benchmark: 7,300 requests/s against 4,600). Batch
    /// commands read normally: a scan through a map would count the whole file in their memory.
    pub async fn connect_server(url: &str) -> DbResult<Db> {
        Self::open(url, None, true, env_key()?).await
    }

    /// As [`Db::connect_server`] with this key (or explicitly none).
    pub async fn connect_server_keyed(url: &str, key: Option<DbKey>) -> DbResult<Db> {
        Self::open(url, None, true, key).await
    }

    async fn open(
        url: &str,
        schema: Option<&str>,
        map_reads: bool,
        key: Option<DbKey>,
    ) -> DbResult<Db> {
        let settings = PoolSettings::from_config();
        if url.starts_with("sqlite:") {
            sqlite_bulk::configure_once();
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| DbError::BadUrl(format!("{url} ({e})")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(settings.busy_seconds))
                // 16 MiB page cache per pooled connection (8 × 64 MiB made the server ~1 GiB on a 2M-person city)
                .pragma("cache_size", format!("-{}", settings.cache_kib))
                .pragma(
                    "mmap_size",
                    if map_reads { settings.mmap_bytes } else { 0 }.to_string(),
                )
                .log_slow_statements(log::LevelFilter::Debug, settings.slow);
            let opts = with_key(opts, key.as_ref());
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.sqlite_pool)
                .connect_with(opts.clone())
                .await
                .map_err(|e| key_refusal(e, &opts, key.as_ref()))?;
            Ok(Db::Sqlite(pool, Arc::new(Mutex::new(()))))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let mut opts = PgConnectOptions::from_str(url)
                .map_err(|e| DbError::BadUrl(format!("{url} ({e})")))?;
            if let Some(schema) = schema {
                let admin = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(opts.clone())
                    .await?;
                sqlx::query(AssertSqlSafe(format!(
                    "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
                )))
                .execute(&admin)
                .await?;
                admin.close().await;
                opts = opts.options([("search_path", schema)]);
            }
            // Every statement is prepared once per connection (sqlx caches them). PostgreSQL would by default plan
            // each of its first runs again for the values bound: for a person search that re-planning (statistics
            // read and decompressed each time) was half of the server's CPU. The application's statements are
            // short index lookups whose plan does not depend on the values, so one generic plan serves them all.
            let opts = opts
                .options([("plan_cache_mode", "force_generic_plan")])
                .log_slow_statements(log::LevelFilter::Debug, settings.slow);
            let pool = PgPoolOptions::new()
                .max_connections(settings.postgres_pool)
                .acquire_timeout(Duration::from_secs(settings.busy_seconds))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(DbError::BadUrl(url.to_string()))
        }
    }

    /// Opens an SQLite file read-only, changing nothing in it (no WAL switch): for checking a backup. An encrypted
    /// backup opens with the environment's key.
    pub async fn open_sqlite_read_only(path: &std::path::Path) -> DbResult<Db> {
        let key = env_key()?;
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false);
        let opts = with_key(opts, key.as_ref());
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await
            .map_err(|e| key_refusal(e, &opts, key.as_ref()))?;
        Ok(Db::Sqlite(pool, Arc::new(Mutex::new(()))))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn migrate(&self) -> DbResult<()> {
        match self {
            Db::Sqlite(p, _) => MIGRATOR.run(p).await?,
            Db::Postgres(p) => MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    pub fn conn(&self) -> Conn<'_> {
        Conn(match self {
            Db::Sqlite(p, _) => PoolRef::Sqlite(p),
            Db::Postgres(p) => PoolRef::Postgres(p),
        })
    }

    /// A connection held for a batch of reads, the same one for each. Not mapped: mmap counted the pages of the file
    /// that a verification's gathering touched in the process's memory (up to 650 MiB), and was not faster once
    /// the loads' filters narrowed what it asks.
    pub async fn reader(&self) -> DbResult<Reader> {
        Ok(Reader(match self {
            Db::Sqlite(p, _) => ReaderInner::Sqlite(p.acquire().await?),
            Db::Postgres(p) => ReaderInner::Postgres(p.acquire().await?),
        }))
    }

    pub async fn begin(&self) -> DbResult<Tx> {
        Ok(Tx(
            match self {
                Db::Sqlite(p, lock) => {
                    let guard = lock.clone().lock_owned().await;
                    TxInner::Sqlite(p.begin().await?, guard)
                }
                Db::Postgres(p) => TxInner::Postgres(p.begin().await?),
            },
            Audited::default(),
        ))
    }

    /// After a bulk write: PostgreSQL gathers statistics on the tables filled (before autovacuum reaches them a fresh
    /// table is planned as empty — a 2M-person demo's household queries ran 21 s each instead of milliseconds);
    /// SQLite runs `PRAGMA optimize`, which analyzes what its query planner found worth it.
    pub async fn analyze(&self, tables: &[&str]) -> DbResult<()> {
        match self {
            Db::Postgres(_) if !tables.is_empty() => {
                // table names are the application's own constants, never input
                self.conn()
                    .execute(&format!("ANALYZE {}", tables.join(", ")), vec![])
                    .await?;
            }
            Db::Postgres(_) => {}
            Db::Sqlite(..) => {
                // it may write statistics: under the writer lock, like every write
                let mut tx = self.begin().await?;
                tx.unaudited("the query planner's statistics");
                tx.execute("PRAGMA optimize", vec![]).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// After a bulk load on SQLite: copies the write-ahead log into the database and truncates it, which would
    /// otherwise keep the size of the whole load on disk.
    pub async fn checkpoint(&self) -> DbResult<()> {
        if let Db::Sqlite(..) = self {
            self.conn()
                .execute("PRAGMA wal_checkpoint(TRUNCATE)", vec![])
                .await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, _) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

fn env_key() -> DbResult<Option<DbKey>> {
    DbKey::from_env().map_err(DbError::Key)
}

/// `PRAGMA key` goes first on every connection the pool opens (sqlx runs the `key` pragma before any other, and
/// before any statement reads the file), so the bulk inserts and readers that step SQLite's C API on sqlx's own
/// connections read and write through the cipher too.
fn with_key(opts: SqliteConnectOptions, key: Option<&DbKey>) -> SqliteConnectOptions {
    match key {
        Some(k) => opts.pragma("key", k.pragma_value().to_string()),
        None => opts,
    }
}

/// A file SQLite cannot read as a database (SQLITE_NOTADB) when opened: a wrong or missing key, or a key set for a
/// file that is not encrypted — said in Chinese.
fn key_refusal(e: sqlx::Error, opts: &SqliteConnectOptions, key: Option<&DbKey>) -> DbError {
    let notadb = matches!(&e, sqlx::Error::Database(d)
        if d.code().as_deref() == Some("26"));
    if notadb {
        DbError::Key(key::refusal(opts.get_filename(), key))
    } else {
        DbError::Sqlx(e)
    }
}

/// One value in PostgreSQL's COPY text format.
fn copy_text(buf: &mut Vec<u8>, a: &Arg) {
    use std::io::Write;
    match a {
        Arg::Text(Some(s)) => {
            for b in s.bytes() {
                match b {
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    _ => buf.push(b),
                }
            }
        }
        Arg::I64(Some(v)) => {
            let _ = write!(buf, "{v}");
        }
        Arg::Bool(Some(v)) => buf.extend_from_slice(if *v { b"t" } else { b"f" }),
        Arg::Date(Some(d)) => {
            let _ = write!(buf, "{d}");
        }
        Arg::Ts(Some(t)) => {
            let _ = write!(buf, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
        }
        _ => buf.extend_from_slice(b"\\N"),
    }
}

/// A fresh application-generated key.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Timestamps are kept at microsecond precision, which both backends store exactly.
pub fn now() -> DateTime<Utc> {
    let n = Utc::now();
    DateTime::from_timestamp_micros(n.timestamp_micros()).expect("in range")
}

/// `$first, $first+1, …` placeholders for one row of `n` values.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::sqlite_sql;

    #[test]
    fn placeholders_translate() {
        assert_eq!(sqlite_sql("SELECT 1"), "SELECT 1");
        assert_eq!(
            sqlite_sql("INSERT INTO t VALUES ($1, $2), ($3, $4)"),
            "INSERT INTO t VALUES (?, ?), (?, ?)"
        );
        assert_eq!(
            sqlite_sql("UPDATE t SET a = $2 WHERE id = $1"),
            "UPDATE t SET a = ?2 WHERE id = ?1"
        );
        assert_eq!(
            sqlite_sql("SELECT '$1' FROM t WHERE a = $1"),
            "SELECT '$1' FROM t WHERE a = ?"
        );
    }
}
