//! Bulk inserts and reads on SQLite through its C API, on the connection sqlx already holds. sqlx's per-value path
//! (owned argument values, a worker thread, multi-row statements of thousands of placeholders) cost several times
//! SQLite's own insert and dominated loads of millions of rows; reading, its worker thread sends each row through a
//! channel, which cost a verification's gathering several times what SQLite took to find the rows.
//!
//! Values are encoded exactly as sqlx encodes them for SQLite (dates `%F`, timestamps RFC 3339 with `+00:00`,
//! booleans 0/1), so rows written here read back through sqlx like any other.

use super::{Arg, DbError, DbResult};
use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};
use libsqlite3_sys as ffi;
use sqlx::sqlite::SqliteConnection;
use std::ffi::{CStr, CString, c_int};

/// Turns off SQLite's memory statistics, once, before the first connection: they take a process-wide mutex on every
/// allocation, which the pooled connections of a busy server contended for. Nothing here reads them.
pub fn configure_once() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config may only be called before SQLite initializes; if it already has (another user of
        // the library in this process), the call returns SQLITE_MISUSE and changes nothing.
        unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int) };
    });
}

/// A prepared statement, finalized on every exit path.
struct Stmt(*mut ffi::sqlite3_stmt);

impl Drop for Stmt {
    fn drop(&mut self) {
        // SAFETY: the statement came from sqlite3_prepare_v2 and is finalized once.
        unsafe { ffi::sqlite3_finalize(self.0) };
    }
}

fn error(db: *mut ffi::sqlite3) -> DbError {
    // SAFETY: `db` is the live handle the failing call was made on; errmsg is a NUL-terminated string it owns.
    let (code, message) = unsafe {
        (
            ffi::sqlite3_extended_errcode(db),
            CStr::from_ptr(ffi::sqlite3_errmsg(db))
                .to_string_lossy()
                .into_owned(),
        )
    };
    DbError::Sqlite { code, message }
}

/// Prepares `sql` on `db`, a live handle of a locked connection.
fn prepare(db: *mut ffi::sqlite3, sql: &CString) -> DbResult<Stmt> {
    let mut raw = std::ptr::null_mut();
    // SAFETY: `db` is a live handle owned by the caller's locked connection; `sql` is NUL-terminated.
    let rc =
        unsafe { ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut raw, std::ptr::null_mut()) };
    if rc != ffi::SQLITE_OK {
        return Err(error(db));
    }
    Ok(Stmt(raw))
}

/// A column of a result row read through the C API: the types the many-row reads use.
pub trait RawCol: Sized {
    /// None when the value is not of this type (NULL included, except for an Option).
    ///
    /// # Safety
    /// `stmt` is a live statement positioned on a row that has column `i`.
    unsafe fn read(stmt: *mut ffi::sqlite3_stmt, i: c_int) -> Option<Self>;
}

impl RawCol for i64 {
    unsafe fn read(stmt: *mut ffi::sqlite3_stmt, i: c_int) -> Option<Self> {
        // SAFETY: upheld by the caller.
        unsafe {
            (ffi::sqlite3_column_type(stmt, i) == ffi::SQLITE_INTEGER)
                .then(|| ffi::sqlite3_column_int64(stmt, i))
        }
    }
}

impl RawCol for String {
    unsafe fn read(stmt: *mut ffi::sqlite3_stmt, i: c_int) -> Option<Self> {
        // SAFETY: upheld by the caller; the text pointer stays valid until the next step, and column_bytes is
        // called after column_text as SQLite requires.
        unsafe {
            if ffi::sqlite3_column_type(stmt, i) != ffi::SQLITE_TEXT {
                return None;
            }
            let p = ffi::sqlite3_column_text(stmt, i);
            let n = usize::try_from(ffi::sqlite3_column_bytes(stmt, i)).ok()?;
            // a TEXT value without a pointer: SQLite ran out of memory converting it
            if p.is_null() {
                return None;
            }
            std::str::from_utf8(std::slice::from_raw_parts(p, n))
                .ok()
                .map(str::to_owned)
        }
    }
}

impl RawCol for NaiveDate {
    unsafe fn read(stmt: *mut ffi::sqlite3_stmt, i: c_int) -> Option<Self> {
        // SAFETY: upheld by the caller.
        let s = unsafe { String::read(stmt, i) }?;
        // written as `%F` (see push_date), which parse_date reads (through chrono beyond four-digit years)
        minzheng_domain::verification::parse_date(&s)
    }
}

impl<T: RawCol> RawCol for Option<T> {
    unsafe fn read(stmt: *mut ffi::sqlite3_stmt, i: c_int) -> Option<Self> {
        // SAFETY: upheld by the caller.
        unsafe {
            if ffi::sqlite3_column_type(stmt, i) == ffi::SQLITE_NULL {
                Some(None)
            } else {
                T::read(stmt, i).map(Some)
            }
        }
    }
}

/// A result row read through the C API: tuples of [`RawCol`]s.
pub trait RawRow: Sized {
    /// Columns read.
    const COLUMNS: c_int;
    /// # Safety
    /// `stmt` is a live statement positioned on a row with at least as many columns as the tuple.
    unsafe fn read_row(stmt: *mut ffi::sqlite3_stmt) -> Option<Self>;
}

macro_rules! raw_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: RawCol),+> RawRow for ($($t,)+) {
            const COLUMNS: c_int = [$($i),+].len() as c_int;
            unsafe fn read_row(stmt: *mut ffi::sqlite3_stmt) -> Option<Self> {
                // SAFETY: upheld by the caller.
                Some(($(unsafe { $t::read(stmt, $i) }?,)+))
            }
        }
    };
}
raw_row!(A 0);
raw_row!(A 0, B 1);
raw_row!(A 0, B 1, C 2);
raw_row!(A 0, B 1, C 2, D 3);
raw_row!(A 0, B 1, C 2, D 3, E 4);
raw_row!(A 0, B 1, C 2, D 3, E 4, F 5);
raw_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
raw_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
raw_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
raw_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
raw_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
raw_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
raw_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);

/// Every row of `sql` (its parameters `?N` take `args[N - 1]`), stepped on this thread through the C API.
pub async fn select_rows<T: RawRow>(
    conn: &mut SqliteConnection,
    sql: &str,
    args: &[Arg],
) -> DbResult<Vec<T>> {
    let csql = CString::new(sql).map_err(|e| DbError::Sqlite {
        code: ffi::SQLITE_MISUSE,
        message: e.to_string(),
    })?;
    // While the handle is locked, sqlx's worker thread makes no call on this connection.
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let stmt = prepare(db, &csql)?;
    // SAFETY: a prepared statement (null for SQL without one) is asked for its column count.
    if stmt.0.is_null() || unsafe { ffi::sqlite3_column_count(stmt.0) } < T::COLUMNS {
        return Err(DbError::Sqlite {
            code: ffi::SQLITE_RANGE,
            message: format!("fewer than {} result columns: {sql}", T::COLUMNS),
        });
    }
    let mut scratch = String::with_capacity(40);
    // SAFETY: the statement is live; parameter indexes run from 1 to its count.
    let count = unsafe { ffi::sqlite3_bind_parameter_count(stmt.0) };
    if usize::try_from(count).unwrap_or(0) > args.len() {
        return Err(DbError::Sqlite {
            code: ffi::SQLITE_RANGE,
            message: format!("{count} parameters, {} values: {sql}", args.len()),
        });
    }
    for (i, a) in args.iter().take(count as usize).enumerate() {
        // SAFETY: the statement has parameter i + 1; `args` outlives it (finalized before returning), and a date
        // formatted into `scratch` is copied by SQLite.
        let rc = unsafe { bind(stmt.0, i as c_int + 1, a, &mut scratch) };
        if rc != ffi::SQLITE_OK {
            return Err(error(db));
        }
    }
    let step_all = || -> DbResult<Vec<T>> {
        let mut out = Vec::new();
        loop {
            // SAFETY: every parameter is bound.
            match unsafe { ffi::sqlite3_step(stmt.0) } {
                ffi::SQLITE_ROW => {
                    // SAFETY: the statement is positioned on a row of at least T::COLUMNS columns.
                    let row = unsafe { T::read_row(stmt.0) }.ok_or_else(|| DbError::Sqlite {
                        code: ffi::SQLITE_MISMATCH,
                        message: format!("a column is not of the type read: {sql}"),
                    })?;
                    out.push(row);
                }
                ffi::SQLITE_DONE => return Ok(out),
                _ => return Err(error(db)),
            }
        }
    };
    let out = blocking(step_all)?;
    drop(stmt);
    drop(handle);
    Ok(out)
}

/// Runs `f`, long blocking work (stepping SQLite, the rules over a run's cases), off the async scheduler where the
/// runtime allows it: it would otherwise hold a worker thread of a server (two on two cores) and stall its requests.
pub(crate) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Rows per INSERT statement: each step of a statement opens a cursor, takes the connection's mutex and resets its
/// bindings, which cost as much as the insert of a narrow row itself.
const ROWS_PER_STATEMENT: usize = 32;

/// `INSERT INTO table (cols) VALUES (…), (…), …` for every row, inside the connection's current transaction,
/// [`ROWS_PER_STATEMENT`] rows a step (the rest one by one). The first columns take `leading`, bound once as
/// parameters that every row's tuple names; the rest each row's values.
pub async fn insert_rows(
    conn: &mut SqliteConnection,
    table: &str,
    cols: &[&str],
    leading: &[Arg],
    rows: &[Vec<Arg>],
) -> DbResult<()> {
    let first = leading.len();
    let per_row = cols.len().saturating_sub(first);
    if let Some(row) = rows.iter().find(|r| r.len() != per_row) {
        return Err(DbError::Sqlite {
            code: ffi::SQLITE_RANGE,
            message: format!(
                "{table}: {} values for {} columns",
                first + row.len(),
                cols.len()
            ),
        });
    }
    // SQLite allows 32,766 parameters in a statement
    let many = ROWS_PER_STATEMENT.min(32_000 / per_row.max(1)).max(1);
    let statement = |n: usize| {
        let tuples: Vec<String> = (0..n)
            .map(|r| {
                let params: Vec<String> = (1..=first)
                    .chain((0..per_row).map(|j| first + r * per_row + j + 1))
                    .map(|p| format!("?{p}"))
                    .collect();
                format!("({})", params.join(", "))
            })
            .collect();
        CString::new(format!(
            "INSERT INTO {table} ({}) VALUES {}",
            cols.join(", "),
            tuples.join(", ")
        ))
        .map_err(|e| DbError::Sqlite {
            code: ffi::SQLITE_MISUSE,
            message: e.to_string(),
        })
    };
    let (sql_many, sql_one) = (statement(many)?, statement(1)?);
    // While the handle is locked, sqlx's worker thread makes no call on this connection.
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let prepare = |sql: &CString| prepare(db, sql);
    let mut scratch = String::with_capacity(40);
    let chunks = rows.chunks_exact(many);
    let rest = chunks.remainder();
    blocking(|| -> DbResult<()> {
        for (stmt, groups) in [
            (prepare(&sql_many)?, chunks.collect::<Vec<_>>()),
            (prepare(&sql_one)?, rest.chunks(1).collect()),
        ] {
            if groups.is_empty() {
                continue;
            }
            for (i, a) in leading.iter().enumerate() {
                // SAFETY: the statement has these parameters; `leading` outlives it (finalized before returning).
                let rc = unsafe { bind(stmt.0, i as c_int + 1, a, &mut scratch) };
                if rc != ffi::SQLITE_OK {
                    return Err(error(db));
                }
            }
            for group in groups {
                for (r, row) in group.iter().enumerate() {
                    for (j, a) in row.iter().enumerate() {
                        let idx = (first + r * per_row + j) as c_int + 1;
                        // SAFETY: the statement has `first + group.len() * per_row` parameters; `rows` outlives every
                        // step of it (it is finalized before returning).
                        let rc = unsafe { bind(stmt.0, idx, a, &mut scratch) };
                        if rc != ffi::SQLITE_OK {
                            return Err(error(db));
                        }
                    }
                }
                // SAFETY: every parameter of the prepared statement is bound.
                let rc = unsafe { ffi::sqlite3_step(stmt.0) };
                let failed = (rc != ffi::SQLITE_DONE).then(|| error(db));
                // SAFETY: resets for the next group's bindings (and clears a failed step's state); bindings stay.
                unsafe { ffi::sqlite3_reset(stmt.0) };
                if let Some(e) = failed {
                    return Err(e);
                }
            }
        }
        Ok(())
    })?;
    drop(handle);
    Ok(())
}

/// Binds `a` to parameter `idx`. Text is bound as SQLITE_STATIC, borrowing `a`; `scratch` is reused, so a date or
/// timestamp formatted into it is bound as SQLITE_TRANSIENT (copied by SQLite).
///
/// # Safety
/// `stmt` is a live prepared statement with a parameter `idx`; `a` outlives the statement's next reset and rebind.
unsafe fn bind(stmt: *mut ffi::sqlite3_stmt, idx: c_int, a: &Arg, scratch: &mut String) -> c_int {
    // SAFETY: upheld by the caller as documented above.
    unsafe {
        match a {
            Arg::Text(Some(s)) => bind_text(stmt, idx, s, ffi::SQLITE_STATIC()),
            Arg::I64(Some(v)) => ffi::sqlite3_bind_int64(stmt, idx, *v),
            Arg::Bool(Some(b)) => ffi::sqlite3_bind_int(stmt, idx, c_int::from(*b)),
            Arg::Date(Some(d)) => {
                scratch.clear();
                push_date(scratch, *d);
                bind_text(stmt, idx, scratch, ffi::SQLITE_TRANSIENT())
            }
            Arg::Ts(Some(t)) => {
                scratch.clear();
                push_timestamp(scratch, t);
                bind_text(stmt, idx, scratch, ffi::SQLITE_TRANSIENT())
            }
            Arg::Text(None)
            | Arg::I64(None)
            | Arg::Bool(None)
            | Arg::Date(None)
            | Arg::Ts(None) => ffi::sqlite3_bind_null(stmt, idx),
        }
    }
}

/// `YYYY-MM-DD`, as sqlx writes a date (chrono's `%F`), without chrono's format parser: a load of millions of rows
/// formats a date or two per row.
fn push_date(buf: &mut String, d: NaiveDate) {
    use std::fmt::Write;
    if (0..=9999).contains(&d.year()) {
        let _ = write!(buf, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    } else {
        let _ = write!(buf, "{}", d.format("%F"));
    }
}

/// As sqlx writes a UTC timestamp: RFC 3339 with `+00:00` and the shortest of no, milli-, micro- or nanoseconds.
fn push_timestamp(buf: &mut String, t: &DateTime<Utc>) {
    use std::fmt::Write;
    let n = t.timestamp_subsec_nanos();
    if !(0..=9999).contains(&t.year()) || n >= 1_000_000_000 {
        buf.push_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, false));
        return;
    }
    push_date(buf, t.date_naive());
    let _ = write!(buf, "T{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    if n == 0 {
    } else if n.is_multiple_of(1_000_000) {
        let _ = write!(buf, ".{:03}", n / 1_000_000);
    } else if n.is_multiple_of(1_000) {
        let _ = write!(buf, ".{:06}", n / 1_000);
    } else {
        let _ = write!(buf, ".{n:09}");
    }
    buf.push_str("+00:00");
}

/// # Safety
/// `stmt` is a live prepared statement; with SQLITE_STATIC, `s` outlives the statement's next reset and rebind.
unsafe fn bind_text(
    stmt: *mut ffi::sqlite3_stmt,
    idx: c_int,
    s: &str,
    destructor: ffi::sqlite3_destructor_type,
) -> c_int {
    let Ok(len) = c_int::try_from(s.len()) else {
        return ffi::SQLITE_TOOBIG;
    };
    // SAFETY: the pointer and length describe `s`; the caller upholds the lifetime contract.
    unsafe { ffi::sqlite3_bind_text(stmt, idx, s.as_ptr().cast(), len, destructor) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // the text must be exactly what sqlx writes, or rows from the two paths would compare and decode differently
        #[test]
        fn dates_and_timestamps_read_as_sqlx_writes_them(secs in -62_000_000_000i64..253_000_000_000i64,
                                                         nanos in prop_oneof![Just(0u32), 0u32..1000, (0u32..1000).prop_map(|m| m * 1_000_000), (0u32..1_000_000).prop_map(|u| u * 1000), 0u32..1_000_000_000]) {
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            let mut s = String::new();
            push_timestamp(&mut s, &t);
            prop_assert_eq!(&s, &t.to_rfc3339_opts(SecondsFormat::AutoSi, false));
            let mut d = String::new();
            push_date(&mut d, t.date_naive());
            prop_assert_eq!(d, t.date_naive().format("%F").to_string());
        }
    }
}
