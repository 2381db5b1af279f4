//! Loads of departmental source files (CSV with a header row, or XLSX). Every row is validated before anything is
//! written; a load keeps its as-of date, checksum and every row; the same file twice adds nothing.

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::{App, AppError, Ctx};
use crate::storage::{Arg, new_id, now};
use chrono::NaiveDate;
use minzheng_domain::verification::idfilter::IdFilterBuilder;
use minzheng_domain::verification::{Cell, RowError, Source, map_header, parse_row};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Rows per bulk statement: big enough to amortise, small enough to stream.
const BATCH: usize = 8_000;
/// Files larger than this load on SQLite with their index rebuilt at the end.
const BIG_FILE: u64 = 1024 * 1024;
/// After a file larger than this the write-ahead log is copied into the database and truncated at once (it would
/// otherwise keep the load's size on disk); smaller ones are left to SQLite's own checkpoints, which do not wait
/// for readers.
const CHECKPOINT_AFTER: u64 = 16 * 1024 * 1024;
/// A bad file reports at most this many rows (and how many there were in all).
const MAX_REPORTED: usize = 1_000;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LoadOutcome {
    pub load_id: String,
    pub rows: i64,
    /// The same file had been loaded before: nothing was added.
    pub duplicate: bool,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LoadRow {
    pub id: String,
    pub source: String,
    pub as_of: NaiveDate,
    pub checksum: String,
    pub file_name: String,
    pub rows: i64,
    pub loaded_by: String,
    pub loaded_at: chrono::DateTime<chrono::Utc>,
}

pub type LoadResult = Result<LoadOutcome, (AppError, Vec<RowError>)>;

fn plain(e: impl Into<AppError>) -> (AppError, Vec<RowError>) {
    (e.into(), vec![])
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Xlsx,
}

fn format_of(path: &Path, file_name: &str) -> std::io::Result<Format> {
    let mut magic = [0u8; 4];
    let n = std::fs::File::open(path)?.read(&mut magic)?;
    Ok(
        if file_name.to_ascii_lowercase().ends_with(".xlsx") || (n == 4 && magic == *b"PK\x03\x04")
        {
            Format::Xlsx
        } else {
            Format::Csv
        },
    )
}

fn checksum(path: &Path) -> std::io::Result<String> {
    use std::io::BufRead;
    // sha2 0.11 is no io::Write any more: the reader's buffer is hashed as it fills
    let mut f = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut h = Sha256::new();
    loop {
        let chunk = f.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        h.update(chunk);
        let n = chunk.len();
        f.consume(n);
    }
    Ok(hex::encode(h.finalize()))
}

/// Calls `f(row_number, cells)` for every data row; `cells` are the source's columns in order.
/// CSV streams from disk; an XLSX sheet is read whole (the format caps it at about a million rows).
fn each_row(
    source: Source,
    path: &Path,
    format: &Format,
    mut f: impl FnMut(u64, &[&str]) -> Result<(), AppError>,
) -> Result<(), (AppError, Vec<RowError>)> {
    let bad_header = |e: RowError| (AppError::invalid("file", e.message.clone()), vec![e]);
    match format {
        Format::Csv => {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .buffer_capacity(1 << 20)
                .from_path(path)
                .map_err(|e| plain(AppError::invalid("file", format!("无法读取文件：{e}"))))?;
            let header: Vec<String> = r
                .headers()
                .map_err(|_| plain(AppError::invalid("file", "文件不是UTF-8编码的CSV")))?
                .iter()
                .map(String::from)
                .collect();
            let pos = map_header(source, &header).map_err(bad_header)?;
            let mut rec = csv::StringRecord::new();
            // rows are numbered by the file's line where the record starts (the header is line 1), as an editor
            // or spreadsheet shows them, blank lines included
            let mut row = 1u64;
            loop {
                row += 1;
                match r.read_record(&mut rec) {
                    Ok(false) => break,
                    Ok(true) => {
                        row = rec.position().map(|p| p.line()).unwrap_or(row);
                        if rec.iter().all(|c| c.trim().is_empty()) {
                            continue;
                        }
                        let cells: Vec<&str> =
                            pos.iter().map(|&p| rec.get(p).unwrap_or("")).collect();
                        f(row, &cells).map_err(plain)?;
                    }
                    Err(e) => {
                        let msg = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                            "不是UTF-8编码".to_string()
                        } else {
                            format!("无法解析：{e}")
                        };
                        return Err((
                            AppError::invalid("file", format!("第{row}行{msg}")),
                            vec![RowError {
                                file: None,
                                row,
                                column: String::new(),
                                message: msg,
                            }],
                        ));
                    }
                }
            }
            Ok(())
        }
        Format::Xlsx => {
            use calamine::{Data, Reader, Xlsx, open_workbook};
            let mut file = std::fs::File::open(path)
                .map_err(|e| plain(AppError::invalid("file", format!("无法读取XLSX文件：{e}"))))?;
            crate::util::check_xlsx(&mut file).map_err(|m| plain(AppError::invalid("file", m)))?;
            drop(file);
            let mut wb: Xlsx<_> = open_workbook(path)
                .map_err(|e| plain(AppError::invalid("file", format!("无法读取XLSX文件：{e}"))))?;
            let range = wb
                .worksheet_range_at(0)
                .ok_or_else(|| plain(AppError::invalid("file", "XLSX文件没有工作表")))?
                .map_err(|e| plain(AppError::invalid("file", format!("无法读取工作表：{e}"))))?;
            let text = |c: &Data| -> String {
                match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(v) if v.fract() == 0.0 => format!("{}", *v as i64),
                    Data::Float(v) => format!("{v}"),
                    Data::Int(v) => v.to_string(),
                    Data::Bool(b) => b.to_string(),
                    // Excel counts days from 1899-12-30
                    Data::DateTime(d) => NaiveDate::from_ymd_opt(1899, 12, 30)
                        .and_then(|e| {
                            e.checked_add_signed(chrono::Duration::days(d.as_f64().floor() as i64))
                        })
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                    Data::DateTimeIso(s) => s.chars().take(10).collect(),
                    other => other.to_string(),
                }
            };
            let mut rows = range.rows();
            let header: Vec<String> = rows
                .next()
                .map(|r| r.iter().map(text).collect())
                .unwrap_or_default();
            let pos = map_header(source, &header).map_err(bad_header)?;
            for (i, r) in rows.enumerate() {
                let owned: Vec<String> = pos
                    .iter()
                    .map(|&p| r.get(p).map(text).unwrap_or_default())
                    .collect();
                if owned.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let cells: Vec<&str> = owned.iter().map(String::as_str).collect();
                f(i as u64 + 2, &cells).map_err(plain)?;
            }
            Ok(())
        }
    }
}

fn to_arg(c: Cell) -> Arg {
    match c {
        Cell::Text(s) => Arg::Text(Some(s)),
        Cell::Date(d) => Arg::Date(Some(d)),
        Cell::Int(v) => Arg::I64(Some(v)),
        Cell::Null => Arg::Date(None),
    }
}

/// Loads a file of `source` as of `as_of`. Validates every row first; a bad file loads nothing and names every bad
/// row (up to 1,000) by row and column. The rows go in one transaction, streamed in batches.
pub async fn load_file(
    app: &App,
    ctx: &Ctx,
    source: &str,
    path: &Path,
    file_name: &str,
    as_of: Option<NaiveDate>,
) -> LoadResult {
    ctx.actor.require(Permission::LoadSources).map_err(plain)?;
    let Some(source) = Source::from_code(source) else {
        return Err(plain(AppError::invalid(
            "source",
            format!(
                "数据来源应为：{}",
                Source::ALL
                    .iter()
                    .map(|s| s.code())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        )));
    };
    let today = app.today();
    let as_of =
        as_of.ok_or_else(|| plain(AppError::invalid("as_of", "请填写数据截止日期(as_of)")))?;
    if as_of > today {
        return Err(plain(AppError::invalid(
            "as_of",
            "数据截止日期不能晚于今天",
        )));
    }
    // the platform's data begin with the 2020 plan; a year 0 "as of" is a typing error, not a file
    if as_of < chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date") {
        return Err(plain(AppError::invalid(
            "as_of",
            "数据截止日期不能早于2000年1月1日",
        )));
    }
    let path_owned = path.to_path_buf();
    let sum = tokio::task::spawn_blocking(move || checksum(&path_owned))
        .await
        .map_err(|e| plain(AppError::Internal(e.into())))?
        .map_err(|e| plain(AppError::invalid("file", format!("无法读取文件：{e}"))))?;
    if let Some(earlier) = find_loaded(app, source, &sum).await.map_err(plain)? {
        return Ok(earlier);
    }
    let format = format_of(path, file_name)
        .map_err(|e| plain(AppError::invalid("file", format!("无法读取文件：{e}"))))?;

    // One pass inside one transaction: valid rows stream into the table while the file is read; after the first bad
    // row nothing more is written but every row is still checked, and a bad file rolls back whole.
    let load_id = new_id();
    let (txs, mut rxs) = tokio::sync::mpsc::channel::<Vec<Vec<Arg>>>(4);
    let path_owned = path.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch: Vec<Vec<Arg>> = Vec::with_capacity(BATCH);
        let mut out = Vec::new();
        let mut errs = Vec::new();
        let mut errors: Vec<RowError> = Vec::new();
        let mut bad_rows = 0usize;
        let mut rows = 0i64;
        let mut ids = IdFilterBuilder::default();
        let r = each_row(source, &path_owned, &format, |row, cells| {
            errs.clear();
            parse_row(source, row, cells, today, &mut out, &mut errs);
            rows += 1;
            if !errs.is_empty() {
                bad_rows += 1;
                if errors.len() < MAX_REPORTED {
                    errors.append(&mut errs);
                }
                batch.clear();
                return Ok(());
            }
            if bad_rows > 0 {
                return Ok(());
            }
            // every source's first column is the identity number
            if let Some(Cell::Text(id)) = out.first() {
                ids.add(id);
            }
            let mut v = Vec::with_capacity(out.len() + 1);
            v.push(Arg::I64(Some(row as i64)));
            v.extend(out.drain(..).map(to_arg));
            batch.push(v);
            if batch.len() == BATCH {
                txs.blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                    .map_err(|_| AppError::Internal(anyhow::anyhow!("写入已中止")))?;
            }
            Ok(())
        });
        if !batch.is_empty() && bad_rows == 0 {
            let _ = txs.blocking_send(batch);
        }
        r.map(|_| (rows, errors, bad_rows, ids))
    });
    let table = source.table();
    let leading = [Arg::Text(Some(load_id.clone()))];
    let mut cols: Vec<&str> = vec!["load_id", "row_no"];
    cols.extend(source.columns().iter().map(|c| c.db));
    let mut tx = app.db.begin().await.map_err(plain)?;
    // A big file on SQLite goes in without the id index, rebuilt once at the end (sorting once beats millions of
    // random B-tree inserts); readers keep the old index until the transaction commits. PostgreSQL's COPY is fast
    // with the index, and dropping one there would lock out readers.
    let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut big = tx.is_sqlite() && file_len > BIG_FILE;
    if big {
        // The rebuild sorts the rows already in the table too: worth it only while this file is the larger part
        // (a CSV row of a source is at least ~32 bytes). MAX(rowid) is SQLite's row count without a scan.
        let existing = tx
            .scalar(
                &format!("SELECT CAST(COALESCE(MAX(rowid), 0) AS BIGINT) FROM {table}"),
                vec![],
            )
            .await
            .map_err(plain)?;
        big = existing < (file_len / 32) as i64;
    }
    // everything up to the indexes built again; on any error the transaction rolls back, and the pooled connection
    // must not keep the bulk cache
    let written = async {
        let mut dropped = Vec::new();
        if big {
            tx.bulk_cache(true).await.map_err(plain)?;
            for (name, ddl) in tx.secondary_indexes(&table).await.map_err(plain)? {
                tx.execute(&format!("DROP INDEX {name}"), vec![])
                    .await
                    .map_err(plain)?;
                dropped.push(ddl);
            }
        }
        while let Some(batch) = rxs.recv().await {
            tx.copy_rows_with(&table, &cols, &leading, batch)
                .await
                .map_err(plain)?;
        }
        let (rows, errors, total_bad, ids) = reader
            .await
            .map_err(|e| plain(AppError::Internal(e.into())))??;
        if total_bad > 0 {
            // dropping the transaction rolls back every row written
            return Err((
                AppError::invalid(
                    "file",
                    format!(
                        "{}文件有{}行数据不合格，整个文件未导入；请改正后重新导入",
                        source.label(),
                        total_bad
                    ),
                ),
                errors,
            ));
        }
        if rows == 0 {
            return Err(plain(AppError::invalid("file", "文件没有数据行")));
        }
        // the filter's sort runs beside the index build
        let filter = tokio::task::spawn_blocking(move || {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(ids.build().to_bytes())
        });
        if big {
            tx.bulk_index_build().await.map_err(plain)?;
        }
        for ddl in &dropped {
            tx.execute(ddl, vec![]).await.map_err(plain)?;
        }
        Ok((rows, filter))
    }
    .await;
    if big {
        let reset = tx.bulk_cache(false).await;
        if written.is_ok() {
            reset.map_err(plain)?;
        }
    }
    let (rows, filter) = written?;
    let filter = filter
        .await
        .map_err(|e| plain(AppError::Internal(e.into())))?;
    tx.execute(
        "INSERT INTO source_loads (id, source, as_of, checksum, file_name, rows, loaded_by, loaded_at, id_filter) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        crate::args![&load_id, source.code(), as_of, &sum, file_name, rows, &ctx.actor.username, now(), &filter],
    )
    .await
    .map_err(plain)?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("source.load", "source_load", &load_id).after(serde_json::json!({
            "source": source.code(), "as_of": as_of, "rows": rows, "checksum": sum, "file_name": file_name,
        })),
    )
    .await
    .map_err(plain)?;
    tx.commit().await.map_err(plain)?;
    let table = format!("src_{}", source.code());
    app.db
        .analyze(&[table.as_str(), "source_loads"])
        .await
        .map_err(plain)?;
    if big && file_len > CHECKPOINT_AFTER {
        app.db.checkpoint().await.map_err(plain)?;
    }
    // early warnings on what the file revealed (a death in an assisted household, a large medical bill)
    // the file is in: a failing warning scan is logged and runs again with the next load or run
    if let Err(e) = super::tasks::scan(app, today).await {
        tracing::error!("warning scan after load {load_id}: {e}");
    }
    // a death, a disability, a serious illness or a custody term changes who a child is: the registry's children
    // are classified again (a failure is logged; the next load or the section's run does it again)
    if matches!(
        source.code(),
        "deaths" | "disability" | "serious_illness" | "custody"
    ) {
        let cause = format!("部门数据导入：{}（{}）", source.label(), file_name);
        if let Err(e) = crate::app::children::reclassify::batch(
            app,
            ctx,
            &cause,
            today,
            Some((table.as_str(), load_id.as_str())),
        )
        .await
        {
            tracing::error!("children re-classification after load {load_id}: {e}");
        }
    }
    // a new 残联 register: the grants in payment whose grade changed are changed or stopped from next month
    if source.code() == "disability"
        && let Err(e) = crate::app::disability_changes::after_load(app, ctx, &load_id).await
    {
        tracing::error!("disability subsidies' grades after load {load_id}: {e}");
    }
    Ok(LoadOutcome {
        load_id,
        rows,
        duplicate: false,
    })
}

async fn find_loaded(
    app: &App,
    source: Source,
    sum: &str,
) -> Result<Option<LoadOutcome>, AppError> {
    let r: Option<(String, i64)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT id, rows FROM source_loads WHERE source = $1 AND checksum = $2",
            crate::args![source.code(), sum],
        )
        .await?;
    Ok(r.map(|(load_id, rows)| LoadOutcome {
        load_id,
        rows,
        duplicate: true,
    }))
}

/// Every load, newest first.
pub async fn list(app: &App, ctx: &Ctx) -> Result<Vec<LoadRow>, AppError> {
    ctx.actor.require(Permission::ReadVerification)?;
    Ok(app
        .db
        .conn()
        .fetch_all(
            "SELECT id, source, as_of, checksum, file_name, rows, loaded_by, loaded_at FROM source_loads ORDER BY loaded_at DESC, id DESC LIMIT 500",
            vec![],
        )
        .await?)
}
