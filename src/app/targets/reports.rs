//! Reported indicators: a value, a date, a comment and evidence files, approved by a city officer.
//! A report is never changed once decided and never overwritten: a new figure is a new report, and the
//! latest approved city-wide report (by date, then by time of filing) is the indicator's current value.

use super::{IndicatorRow, indicator_row};
use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Tx, new_id, now};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use minzheng_domain::targets::{Kind, Num};
use sha2::{Digest, Sha256};

pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ReportRow {
    pub id: String,
    pub year: i32,
    pub indicator_id: String,
    /// The reporter's area: the city, or a town for a town office's report.
    pub area_code: String,
    pub value: String,
    pub as_of: NaiveDate,
    pub comment: String,
    /// pending, approved or rejected
    pub status: String,
    pub reported_by: String,
    pub reporter_name: String,
    pub reported_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

pub const REPORT_COLS: &str = "id, year, indicator_id, area_code, value, as_of, comment, status, reported_by, reporter_name, reported_at, decided_by, decided_at, decision_note";

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct EvidenceRow {
    pub id: String,
    pub report_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

const EVIDENCE_COLS: &str =
    "id, report_id, file_name, content_type, size, sha256, uploaded_by, uploaded_at";

/// An uploaded file, before it is checked.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The file's type from its first bytes, which must agree with its extension: PDF, JPEG, PNG, XLSX or DOCX
/// (the last two are ZIP packages whose parts are named `xl/…` or `word/…`).
pub fn check_upload(u: &Upload) -> AppResult<&'static str> {
    let name = u.file_name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("files", "证明材料须有文件名"));
    }
    if u.bytes.is_empty() {
        return Err(AppError::invalid("files", format!("{name} 是空文件")));
    }
    if u.bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(AppError::invalid(
            "files",
            format!("{name} 超过10MB，请压缩后上传"),
        ));
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let b = &u.bytes;
    let zip_has =
        |part: &[u8]| b.starts_with(b"PK\x03\x04") && b.windows(part.len()).any(|w| w == part);
    use minzheng_domain::import::{jpeg_is_whole, pdf_is_whole, png_is_whole};
    // an office file is a ZIP archive: its directory is checked against the unpacking limits first
    let zip_ok = |part: &[u8]| -> AppResult<bool> {
        if !zip_has(part) {
            return Ok(false);
        }
        crate::util::check_xlsx(&mut std::io::Cursor::new(b))
            .map_err(|m| AppError::invalid("files", format!("{name}：{m}")))?;
        Ok(true)
    };
    // each file must be what its name says, whole: a spreadsheet opens, an image's structure is complete
    let (ok, mime) = match ext.as_str() {
        "pdf" => (pdf_is_whole(b), "application/pdf"),
        "jpg" | "jpeg" => (jpeg_is_whole(b), "image/jpeg"),
        "png" => (png_is_whole(b), "image/png"),
        "xlsx" => (
            zip_ok(b"xl/")? && {
                use calamine::Reader;
                calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(std::io::Cursor::new(
                    b.as_slice(),
                ))
                .is_ok_and(|wb| !wb.sheet_names().is_empty())
            },
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "docx" => (
            zip_ok(b"word/")?,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        _ => {
            return Err(AppError::invalid(
                "files",
                format!("{name}：证明材料只能是 PDF、JPG、PNG、XLSX 或 DOCX 文件"),
            ));
        }
    };
    if !ok {
        return Err(AppError::invalid(
            "files",
            format!("{name} 的内容与扩展名 .{ext} 不符，或文件不完整、已损坏"),
        ));
    }
    Ok(mime)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewReport {
    /// A decimal (e.g. "2350", "61.5"); for a milestone (`done` kind) "1" = done, "0" = not yet.
    pub value: String,
    /// The date the figure stands on (YYYY-MM-DD).
    pub as_of: String,
    #[serde(default)]
    pub comment: String,
}

fn visible(app: &App, ctx: &Ctx, area_code: &str) -> bool {
    area_code == app.areas().city_code || ctx.actor.in_scope(area_code)
}

async fn insert_evidence(
    tx: &mut Tx,
    ctx: &Ctx,
    report_id: &str,
    files: &[(Upload, &'static str)],
) -> AppResult<Vec<String>> {
    let mut names = vec![];
    for (u, mime) in files {
        tx.execute(
            "INSERT INTO target_evidence (id, report_id, file_name, content_type, size, sha256, content_base64, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![
                new_id(),
                report_id,
                u.file_name.trim(),
                *mime,
                u.bytes.len() as i64,
                hex::encode(Sha256::digest(&u.bytes)),
                base64::engine::general_purpose::STANDARD.encode(&u.bytes),
                &ctx.actor.username,
                now()
            ],
        )
        .await?;
        names.push(u.file_name.trim().to_string());
    }
    Ok(names)
}

fn checked(files: Vec<Upload>) -> AppResult<Vec<(Upload, &'static str)>> {
    files
        .into_iter()
        .map(|u| check_upload(&u).map(|m| (u, m)))
        .collect()
}

/// Files a report for a reported indicator (city officers city-wide, town offices for their town).
pub async fn create(
    app: &App,
    ctx: &Ctx,
    year: i32,
    indicator_id: &str,
    r: NewReport,
    files: Vec<Upload>,
) -> AppResult<ReportRow> {
    ctx.actor.require(Permission::ReportTargets)?;
    let ind: IndicatorRow = indicator_row(app, year, indicator_id).await?;
    if !ind.metric.is_empty() {
        return Err(AppError::invalid(
            "indicator_id",
            "该指标由平台数据自动计算，无需填报",
        ));
    }
    let value = match Kind::parse(&ind.kind) {
        Some(Kind::Done) => match r.value.trim() {
            "1" | "done" | "完成" | "已完成" => "1".to_string(),
            "0" | "not_done" | "未完成" => "0".to_string(),
            _ => {
                return Err(AppError::invalid(
                    "value",
                    "完成类指标填 1（已完成）或 0（未完成）",
                ));
            }
        },
        _ => Num::parse(&r.value)
            .map_err(|e| AppError::invalid("value", format!("填报值{e}")))?
            .display(4),
    };
    let as_of = NaiveDate::parse_from_str(r.as_of.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("as_of", "数据日期格式应为 YYYY-MM-DD"))?;
    if as_of > app.today() {
        return Err(AppError::invalid("as_of", "数据日期不能晚于今天"));
    }
    if as_of < NaiveDate::from_ymd_opt(year, 1, 1).expect("date")
        || as_of > NaiveDate::from_ymd_opt(year, 12, 31).expect("date")
    {
        // a later figure belongs to a later year's plan, never to this one
        return Err(AppError::invalid(
            "as_of",
            format!("数据日期应在{year}年内"),
        ));
    }
    let comment = r.comment.trim().to_string();
    if comment.chars().count() > 2000 {
        return Err(AppError::invalid("comment", "说明最多2000字"));
    }
    let files = checked(files)?;
    let row = ReportRow {
        id: new_id(),
        year,
        indicator_id: ind.id.clone(),
        area_code: ctx.actor.area_code.clone(),
        value,
        as_of,
        comment,
        status: "pending".into(),
        reported_by: ctx.actor.username.clone(),
        reporter_name: ctx.actor.display_name.clone(),
        reported_at: now(),
        decided_by: None,
        decided_at: None,
        decision_note: None,
    };
    let mut tx = app.db.begin().await?;
    tx.execute(
        &format!("INSERT INTO target_reports ({REPORT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, NULL)"),
        args![&row.id, year, &row.indicator_id, &row.area_code, &row.value, row.as_of, &row.comment, &row.status, &row.reported_by, &row.reporter_name, row.reported_at],
    )
    .await?;
    let names = insert_evidence(&mut tx, ctx, &row.id, &files).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("targets.report", "target_report", &row.id)
            .area(&row.area_code)
            .after(serde_json::json!({"year": year, "indicator": row.indicator_id, "value": row.value, "as_of": row.as_of, "evidence": names})),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

async fn report_in_scope(tx: &mut Tx, app: &App, ctx: &Ctx, id: &str) -> AppResult<ReportRow> {
    let r = tx.fetch_optional(&one_report(), args![id]).await?;
    visible_report(app, ctx, r)
}

/// One report by id.
fn one_report() -> String {
    format!("SELECT {REPORT_COLS} FROM target_reports WHERE id = $1")
}

/// The report, when the caller may see it; otherwise not found, as a report that does not exist.
fn visible_report(app: &App, ctx: &Ctx, r: Option<ReportRow>) -> AppResult<ReportRow> {
    match r {
        Some(r) if visible(app, ctx, &r.area_code) => Ok(r),
        _ => Err(AppError::NotFound("目标填报".into())),
    }
}

/// The year and indicator a report belongs to, in the caller's scope (the pages go back to the indicator).
pub async fn target_of(app: &App, ctx: &Ctx, report_id: &str) -> AppResult<(i32, String)> {
    ctx.actor.require(Permission::ReadTargets)?;
    let r = app
        .db
        .conn()
        .fetch_optional(&one_report(), args![report_id])
        .await?;
    visible_report(app, ctx, r).map(|r| (r.year, r.indicator_id))
}

/// Adds evidence to a report that is still waiting for approval (the reporter's office only).
pub async fn add_evidence(
    app: &App,
    ctx: &Ctx,
    report_id: &str,
    files: Vec<Upload>,
) -> AppResult<Vec<EvidenceRow>> {
    ctx.actor.require(Permission::ReportTargets)?;
    if files.is_empty() {
        return Err(AppError::invalid("files", "请选择证明材料文件"));
    }
    let files = checked(files)?;
    let mut tx = app.db.begin().await?;
    let r = report_in_scope(&mut tx, app, ctx, report_id).await?;
    if !ctx.actor.in_scope(&r.area_code) {
        return Err(AppError::Forbidden("只能为本单位的填报补充材料".into()));
    }
    if r.status != "pending" {
        return Err(AppError::conflict("id", "该填报已审核，不能再补充材料"));
    }
    let names = insert_evidence(&mut tx, ctx, &r.id, &files).await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("targets.evidence", "target_report", &r.id)
            .area(&r.area_code)
            .after(serde_json::json!({"evidence": names})),
    )
    .await?;
    tx.commit().await?;
    evidence_of(app, report_id).await
}

/// Named apart from the other `Decision` types in the API document.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = ReportDecision)]
pub struct Decision {
    pub approve: bool,
    /// Required when rejecting.
    #[serde(default)]
    pub note: String,
}

/// A city officer approves (only with evidence, and not their own report) or rejects (with a reason).
pub async fn decide(app: &App, ctx: &Ctx, report_id: &str, d: Decision) -> AppResult<ReportRow> {
    ctx.actor.require(Permission::ApproveTargets)?;
    let note = crate::app::validate::text(
        "note",
        "审核意见",
        &d.note,
        0,
        crate::app::validate::TEXT_MAX,
    )?;
    if !d.approve && note.chars().count() < 2 {
        return Err(AppError::invalid("note", "退回须写明理由"));
    }
    let mut tx = app.db.begin().await?;
    let r = report_in_scope(&mut tx, app, ctx, report_id).await?;
    if r.status != "pending" {
        return Err(AppError::conflict("id", "该填报已审核，不能重复审核"));
    }
    if r.reported_by == ctx.actor.username {
        return Err(AppError::Forbidden(
            "不能审核自己的填报，请由另一名市局工作人员审核".into(),
        ));
    }
    let evidence = tx
        .scalar(
            "SELECT COUNT(*) FROM target_evidence WHERE report_id = $1",
            args![&r.id],
        )
        .await?;
    if d.approve && evidence == 0 {
        return Err(AppError::invalid(
            "evidence",
            "该填报没有证明材料，不能审核通过",
        ));
    }
    let status = if d.approve { "approved" } else { "rejected" };
    let at = now();
    let n = tx
        .execute(
            "UPDATE target_reports SET status = $2, decided_by = $3, decided_at = $4, decision_note = $5 WHERE id = $1 AND status = 'pending'",
            args![&r.id, status, &ctx.actor.username, at, &note],
        )
        .await?;
    if n != 1 {
        return Err(AppError::conflict("id", "该填报已审核，不能重复审核"));
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("targets.decide", "target_report", &r.id)
            .area(&r.area_code)
            .before(serde_json::json!({"status": "pending"}))
            .after(serde_json::json!({"status": status, "note": note, "indicator": r.indicator_id, "value": r.value})),
    )
    .await?;
    tx.commit().await?;
    Ok(ReportRow {
        status: status.into(),
        decided_by: Some(ctx.actor.username.clone()),
        decided_at: Some(at),
        decision_note: Some(note),
        ..r
    })
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReportWithEvidence {
    #[serde(flatten)]
    pub report: ReportRow,
    pub evidence: Vec<EvidenceRow>,
}

async fn evidence_of(app: &App, report_id: &str) -> AppResult<Vec<EvidenceRow>> {
    Ok(app
        .db
        .conn()
        .fetch_all(
            &format!("SELECT {EVIDENCE_COLS} FROM target_evidence WHERE report_id = $1 ORDER BY uploaded_at, id"),
            args![report_id],
        )
        .await?)
}

/// An indicator's reports, newest first: city-wide ones and those of the caller's area.
pub async fn history(
    app: &App,
    ctx: &Ctx,
    year: i32,
    indicator_id: &str,
) -> AppResult<Vec<ReportWithEvidence>> {
    ctx.actor.require(Permission::ReadTargets)?;
    let rows: Vec<ReportRow> = app
        .db
        .conn()
        .fetch_all(
            &format!("SELECT {REPORT_COLS} FROM target_reports WHERE year = $1 AND indicator_id = $2 ORDER BY as_of DESC, reported_at DESC"),
            args![year, indicator_id],
        )
        .await?;
    let mut out = vec![];
    for r in rows.into_iter().filter(|r| visible(app, ctx, &r.area_code)) {
        let evidence = evidence_of(app, &r.id).await?;
        out.push(ReportWithEvidence {
            report: r,
            evidence,
        });
    }
    Ok(out)
}

/// Reports waiting for a city decision (for the dashboard's to-do list).
pub async fn pending(app: &App, ctx: &Ctx, year: i32) -> AppResult<Vec<ReportRow>> {
    ctx.actor.require(Permission::ReadTargets)?;
    let rows: Vec<ReportRow> = app
        .db
        .conn()
        .fetch_all(
            &format!("SELECT {REPORT_COLS} FROM target_reports WHERE year = $1 AND status = 'pending' ORDER BY reported_at"),
            args![year],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| visible(app, ctx, &r.area_code))
        .collect())
}

/// The latest approved city-wide report per indicator of a year, and every approved city-wide report
/// (for the monthly progress), oldest first.
pub async fn approved_city(app: &App, year: i32) -> AppResult<Vec<ReportRow>> {
    Ok(app
        .db
        .conn()
        .fetch_all(
            &format!("SELECT {REPORT_COLS} FROM target_reports WHERE year = $1 AND status = 'approved' AND area_code = $2 ORDER BY as_of, reported_at"),
            args![year, app.areas().city_code.as_str()],
        )
        .await?)
}

pub struct EvidenceFile {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

pub async fn evidence_file(app: &App, ctx: &Ctx, id: &str) -> AppResult<EvidenceFile> {
    ctx.actor.require(Permission::ReadTargets)?;
    let row: Option<(String, String, String, String)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT e.file_name, e.content_type, e.content_base64, r.area_code FROM target_evidence e \
             JOIN target_reports r ON r.id = e.report_id WHERE e.id = $1",
            args![id],
        )
        .await?;
    match row {
        Some((file_name, content_type, b64, area)) if visible(app, ctx, &area) => {
            Ok(EvidenceFile {
                file_name,
                content_type,
                bytes: base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| AppError::Internal(e.into()))?,
            })
        }
        _ => Err(AppError::NotFound("证明材料".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(name: &str, bytes: &[u8]) -> Upload {
        Upload {
            file_name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    /// A ZIP archive of one stored entry (as an office file is laid out), its directory consistent.
    fn zip_of(name: &str, data: &[u8]) -> Vec<u8> {
        let n = name.as_bytes();
        let size = (data.len() as u32).to_le_bytes();
        let mut out = vec![
            0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        out.extend_from_slice(&size);
        out.extend_from_slice(&size);
        out.extend_from_slice(&(n.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(n);
        out.extend_from_slice(data);
        let at = out.len() as u32;
        let mut cd = vec![
            0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        cd.extend_from_slice(&size);
        cd.extend_from_slice(&size);
        cd.extend_from_slice(&(n.len() as u16).to_le_bytes());
        cd.extend_from_slice(&[0u8; 16]);
        cd.extend_from_slice(n);
        out.extend_from_slice(&cd);
        out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0]);
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&at.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    /// A 1 × 1 PNG.
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0A, 0x49, 0x44,
        0x41, 0x54, 0x78, 0x9C, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0D, 0x0A, 0x2D, 0xB4, 0, 0, 0, 0,
        0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    #[test]
    fn types_by_their_whole_structure() {
        assert_eq!(
            check_upload(&up("a.pdf", b"%PDF-1.7\n1 0 obj\nendobj\n%%EOF\n")).unwrap(),
            "application/pdf"
        );
        assert!(check_upload(&up("a.PNG", PNG)).is_ok());
        let jpeg = [
            &[0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0][..],
            &[0xFF, 0xC0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0][..],
            &[0xFF, 0xD9][..],
        ]
        .concat();
        assert!(check_upload(&up("a.jpeg", &jpeg)).is_ok());
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().write_string(0, 0, "佐证").unwrap();
        let xlsx = wb.save_to_buffer().unwrap();
        assert!(check_upload(&up("a.xlsx", &xlsx)).is_ok());
        assert!(
            check_upload(&up(
                "a.docx",
                &zip_of("word/document.xml", b"<w:document/>")
            ))
            .is_ok()
        );
        // only the first bytes right: a cut image, a PDF without its end, an archive that does not open
        assert!(check_upload(&up("a.PNG", &PNG[..PNG.len() - 6])).is_err());
        assert!(check_upload(&up("a.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0])).is_err());
        assert!(check_upload(&up("a.pdf", b"%PDF-1.7\n")).is_err());
        assert!(check_upload(&up("a.xlsx", b"PK\x03\x04....xl/workbook.xml")).is_err());
        assert!(check_upload(&up("a.xlsx", &zip_of("xl/workbook.xml", b"not xml"))).is_err());
        // an archive whose directory claims 4 GiB for a few bytes ("zip bomb"): refused before it is opened
        let mut bomb = zip_of("xl/worksheets/sheet1.xml", &[0u8; 2048]);
        let cd = bomb.len() - 22 - 46 - "xl/worksheets/sheet1.xml".len();
        bomb[cd + 24..cd + 28].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
        let e = check_upload(&up("a.xlsx", &bomb)).unwrap_err().to_string();
        assert!(e.contains("压缩炸弹"), "{e}");
        // renamed files are caught
        assert!(check_upload(&up("a.pdf", PNG)).is_err());
        assert!(check_upload(&up("a.docx", &xlsx)).is_err());
        assert!(check_upload(&up("a.exe", b"MZ")).is_err());
        assert!(check_upload(&up("a.pdf", b"")).is_err());
        let big = vec![b'%'; MAX_EVIDENCE_BYTES + 1];
        assert!(check_upload(&up("a.pdf", &big)).is_err());
    }
}
