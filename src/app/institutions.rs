//! 养老机构 (DOMAIN §5, plan items 16–18): an elderly institution is an organisation of kind `elderly_institution` on
//! the shared registry. This line keeps its 备案 (date, documents received), its beds by date (so the new beds of a
//! year can be counted), its star grade (GB/T 37276-2018), its residents (a registry person under a contract; the
//! file kept 5 years after the contract ends, never deleted) and the yearly on-site inspection.
//!
//! Every use case checks the permission and the organisation's area, locks the row it changes and writes the audit
//! log in the same transaction.

use crate::app::audit::{self, Event};
use crate::app::authz::Permission;
use crate::app::validate;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, Tx, new_id, now};
use chrono::{Datelike, Duration, NaiveDate};
use minzheng_domain::idnumber::{self, IdNumber};
use minzheng_domain::institutions::{
    self as rule, InspectionResult, Ownership, inspection_overdue, keep_until,
};
use serde_json::json;

pub const KIND: &str = "elderly_institution";
pub use crate::app::listing::REGISTER_PAGE_SIZE as PAGE;
/// A scanned document: PDF, JPEG or PNG, at most 10 MB.
pub const MAX_DOCUMENT: usize = 10 * 1024 * 1024;

/// The organisation as this line needs it, locked when `lock` is set; outside the caller's area it is "not found".
#[derive(Debug, Clone, sqlx::FromRow)]
struct Org {
    kind: String,
    area_code: String,
    status: String,
}

async fn org_tx(tx: &mut Tx, ctx: &Ctx, id: &str, lock: bool) -> AppResult<Org> {
    let clause = if lock { tx.for_update() } else { "" };
    tx.fetch_optional::<Org>(
        &format!("SELECT kind, area_code, status FROM organisations WHERE id = $1{clause}"),
        args![id],
    )
    .await?
    .filter(|o| o.kind == KIND && ctx.actor.in_scope(&o.area_code))
    .ok_or_else(|| AppError::NotFound("养老机构".into()))
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct InstRow {
    filed_on: NaiveDate,
    filing_number: String,
    ownership: String,
    beds_total: i64,
    beds_nursing: i64,
    star_grade: Option<i64>,
    star_rated_on: Option<NaiveDate>,
    filed_by: String,
}

const INST_COLS: &str = "filed_on, filing_number, ownership, beds_total, beds_nursing, star_grade, star_rated_on, filed_by";

/// The institution's filing, locked: an organisation not yet filed cannot take beds, residents or inspections.
async fn filed_tx(tx: &mut Tx, ctx: &Ctx, id: &str) -> AppResult<(Org, InstRow)> {
    let org = org_tx(tx, ctx, id, false).await?;
    let lock = tx.for_update();
    let inst = tx
        .fetch_optional::<InstRow>(
            &format!("SELECT {INST_COLS} FROM institutions WHERE organisation_id = $1{lock}"),
            args![id],
        )
        .await?
        .ok_or_else(|| AppError::conflict("id", "该养老机构尚未备案，请先登记备案"))?;
    Ok((org, inst))
}

fn date_between(
    field: &str,
    label: &str,
    d: NaiveDate,
    not_before: Option<(NaiveDate, &str)>,
    today: NaiveDate,
) -> AppResult<NaiveDate> {
    validate::date(field, label, d)?;
    if d > today {
        return Err(AppError::invalid(field, format!("{label}不能晚于今天")));
    }
    if let Some((nb, what)) = not_before
        && d < nb
    {
        return Err(AppError::invalid(
            field,
            format!("{label}不能早于{what}（{}）", crate::util::cn_date(nb)),
        ));
    }
    Ok(d)
}

fn ownership(field: &str, v: &str) -> AppResult<Ownership> {
    Ownership::parse(v.trim()).ok_or_else(|| {
        AppError::invalid(
            field,
            "举办性质应为 public（公办公营）、public_private（公建民营）或 private（民办）",
        )
    })
}

fn beds(total: i64, nursing: i64) -> AppResult<()> {
    rule::beds_ok(total, nursing).map_err(|m| {
        AppError::invalid(
            if m.starts_with("护理型") {
                "beds_nursing"
            } else {
                "beds_total"
            },
            m,
        )
    })
}

// ---------------------------------------------------------------------------------------------------------------
// 备案

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Filing {
    pub filed_on: NaiveDate,
    /// 备案回执编号 (optional).
    #[serde(default)]
    pub filing_number: String,
    /// public, public_private (公建民营) or private
    pub ownership: String,
    pub beds_total: i64,
    /// 护理型床位, among the total.
    pub beds_nursing: i64,
    /// The names of the documents received (营业执照或登记证书、消防验收、食品经营许可 …), at least one.
    pub documents: Vec<String>,
}

/// Files an institution already on the registry; its beds on the filing date are its first bed record (new beds).
pub async fn file(app: &App, ctx: &Ctx, id: &str, f: Filing) -> AppResult<InstitutionView> {
    ctx.actor.require(Permission::ManageInstitutions)?;
    let today = app.today();
    date_between("filed_on", "备案日期", f.filed_on, None, today)?;
    let number = validate::line("filing_number", "备案回执编号", &f.filing_number, 0, 50)?;
    let own = ownership("ownership", &f.ownership)?;
    beds(f.beds_total, f.beds_nursing)?;
    let mut docs = Vec::new();
    for d in &f.documents {
        let d = validate::line("documents", "材料名称", d, 0, 100)?;
        if !d.is_empty() && !docs.contains(&d) {
            docs.push(d);
        }
    }
    if docs.is_empty() {
        return Err(AppError::invalid(
            "documents",
            "请填写收到的备案材料（至少一项）",
        ));
    }
    if docs.len() > 50 {
        return Err(AppError::invalid("documents", "备案材料不能超过50项"));
    }
    let mut tx = app.db.begin().await?;
    let org = org_tx(&mut tx, ctx, id, true).await?;
    if org.status != "active" {
        return Err(AppError::conflict("id", "该机构已注销或停办，不能备案"));
    }
    let exists: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM institutions WHERE organisation_id = $1",
            args![id],
        )
        .await?;
    if exists > 0 {
        return Err(AppError::conflict("id", "该养老机构已备案，不能重复备案"));
    }
    let at = now();
    let by = ctx.actor.display_name.clone();
    tx.execute(
        "INSERT INTO institutions (organisation_id, filed_on, filing_number, ownership, beds_total, beds_nursing, \
         star_grade, star_rated_on, filed_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $8, $8)",
        args![id, f.filed_on, &number, own.code(), f.beds_total, f.beds_nursing, &by, at],
    )
    .await?;
    for d in &docs {
        tx.execute(
            "INSERT INTO institution_documents (id, organisation_id, name, added_by, added_at) VALUES ($1, $2, $3, $4, $5)",
            args![new_id(), id, d, &by, at],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO institution_beds (id, organisation_id, changed_on, beds_total, beds_nursing, ownership, added, note, changed_by, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $4, '备案', $7, $8)",
        args![new_id(), id, f.filed_on, f.beds_total, f.beds_nursing, own.code(), &by, at],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("institution.file", "organisation", id)
            .area(&org.area_code)
            .after(json!({"filed_on": f.filed_on, "filing_number": number, "ownership": own.code(),
                          "beds_total": f.beds_total, "beds_nursing": f.beds_nursing, "documents": docs})),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

/// A document received after the filing, with its scanned file or without.
pub async fn add_document(
    app: &App,
    ctx: &Ctx,
    id: &str,
    name: &str,
    file: Option<Vec<u8>>,
) -> AppResult<DocumentItem> {
    ctx.actor.require(Permission::ManageInstitutions)?;
    let name = validate::line("name", "材料名称", name, 1, 100)?;
    let file = file.filter(|f| !f.is_empty());
    let ct = match &file {
        None => None,
        Some(f) if f.len() > MAX_DOCUMENT => {
            return Err(AppError::invalid("file", "材料文件不能超过10MB"));
        }
        Some(f) => Some(document_type(f).ok_or_else(|| {
            AppError::invalid("file", "材料文件只能是 PDF、JPG 或 PNG（按文件内容识别）")
        })?),
    };
    let mut tx = app.db.begin().await?;
    let (org, _) = filed_tx(&mut tx, ctx, id).await?;
    let doc_id = new_id();
    use base64::Engine;
    use sha2::Digest;
    tx.execute(
        "INSERT INTO institution_documents (id, organisation_id, name, content_type, size, sha256, data_base64, added_by, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            &doc_id,
            id,
            &name,
            ct,
            file.as_ref().map(|f| f.len() as i64),
            file.as_ref().map(|f| hex::encode(sha2::Sha256::digest(f))),
            file.as_ref().map(|f| base64::engine::general_purpose::STANDARD.encode(f)),
            &ctx.actor.display_name,
            now()
        ],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("institution.document", "organisation", id)
            .area(&org.area_code)
            .after(json!({"document": doc_id, "name": name, "file": ct, "size": file.as_ref().map(Vec::len)})),
    )
    .await?;
    tx.commit().await?;
    Ok(DocumentItem {
        id: doc_id,
        name,
        content_type: ct.map(str::to_string),
        size: file.as_ref().map(|f| f.len() as i64),
        added_by: ctx.actor.display_name.clone(),
    })
}

/// PDF, JPEG or PNG by their whole structure, whatever the file is called.
pub fn document_type(b: &[u8]) -> Option<&'static str> {
    if minzheng_domain::import::pdf_is_whole(b) {
        Some("application/pdf")
    } else {
        crate::app::verification::tasks::photo_type(b)
    }
}

/// A document's scanned file (its institution must be in scope).
pub async fn document_file(app: &App, ctx: &Ctx, doc_id: &str) -> AppResult<(String, Vec<u8>)> {
    ctx.actor.require(Permission::ReadInstitutions)?;
    let r: Option<(String, Option<String>, Option<String>)> = app
        .db
        .conn()
        .fetch_optional(
            "SELECT organisation_id, content_type, data_base64 FROM institution_documents WHERE id = $1",
            args![doc_id],
        )
        .await?;
    let Some((org, Some(ct), Some(data))) = r else {
        return Err(AppError::NotFound("材料文件".into()));
    };
    let mut tx = app.db.begin().await?;
    org_tx(&mut tx, ctx, &org, false)
        .await
        .map_err(|_| AppError::NotFound("材料文件".into()))?;
    tx.commit().await?;
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((ct, bytes))
}

// ---------------------------------------------------------------------------------------------------------------
// Beds and star grade

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct BedChange {
    pub changed_on: NaiveDate,
    pub beds_total: i64,
    pub beds_nursing: i64,
    /// public, public_private or private; unchanged when left out
    #[serde(default)]
    pub ownership: Option<String>,
    /// What changed (新建楼栋、改造护理型床位 …), at least 2 characters.
    pub note: String,
}

/// Records the beds as of a date; the change of the total is kept (positive: new beds that year).
pub async fn change_beds(
    app: &App,
    ctx: &Ctx,
    id: &str,
    c: BedChange,
) -> AppResult<InstitutionView> {
    ctx.actor.require(Permission::ManageInstitutions)?;
    beds(c.beds_total, c.beds_nursing)?;
    let note = validate::text("note", "变更说明", &c.note, 2, validate::TEXT_MAX)?;
    let own = match c
        .ownership
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        Some(o) => Some(ownership("ownership", o)?),
        None => None,
    };
    let mut tx = app.db.begin().await?;
    let (org, inst) = filed_tx(&mut tx, ctx, id).await?;
    date_between(
        "changed_on",
        "变更日期",
        c.changed_on,
        Some((inst.filed_on, "备案日期")),
        app.today(),
    )?;
    let own = own
        .map(|o| o.code().to_string())
        .unwrap_or(inst.ownership.clone());
    let added = c.beds_total - inst.beds_total;
    let at = now();
    tx.execute(
        "INSERT INTO institution_beds (id, organisation_id, changed_on, beds_total, beds_nursing, ownership, added, note, changed_by, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![new_id(), id, c.changed_on, c.beds_total, c.beds_nursing, &own, added, &note, &ctx.actor.display_name, at],
    )
    .await?;
    tx.execute(
        "UPDATE institutions SET beds_total = $2, beds_nursing = $3, ownership = $4, updated_at = $5 WHERE organisation_id = $1",
        args![id, c.beds_total, c.beds_nursing, &own, at],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("institution.beds", "organisation", id)
            .area(&org.area_code)
            .before(json!({"beds_total": inst.beds_total, "beds_nursing": inst.beds_nursing, "ownership": inst.ownership}))
            .after(json!({"changed_on": c.changed_on, "beds_total": c.beds_total, "beds_nursing": c.beds_nursing,
                          "ownership": own, "added": added, "note": note})),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StarRating {
    /// 1–5 stars (GB/T 37276-2018)
    pub grade: i64,
    pub rated_on: NaiveDate,
}

pub async fn rate(app: &App, ctx: &Ctx, id: &str, r: StarRating) -> AppResult<InstitutionView> {
    ctx.actor.require(Permission::ManageInstitutions)?;
    if !rule::valid_star(r.grade) {
        return Err(AppError::invalid(
            "grade",
            "星级应为1–5星（GB/T 37276-2018）",
        ));
    }
    let mut tx = app.db.begin().await?;
    let (org, inst) = filed_tx(&mut tx, ctx, id).await?;
    date_between(
        "rated_on",
        "评定日期",
        r.rated_on,
        Some((inst.filed_on, "备案日期")),
        app.today(),
    )?;
    tx.execute(
        "UPDATE institutions SET star_grade = $2, star_rated_on = $3, updated_at = $4 WHERE organisation_id = $1",
        args![id, r.grade, r.rated_on, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("institution.star", "organisation", id)
            .area(&org.area_code)
            .before(json!({"grade": inst.star_grade, "rated_on": inst.star_rated_on}))
            .after(json!({"grade": r.grade, "rated_on": r.rated_on})),
    )
    .await?;
    tx.commit().await?;
    get(app, ctx, id).await
}

// ---------------------------------------------------------------------------------------------------------------
// Residents

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Admission {
    /// The resident's identity number; the person must be on the residents' registry (any town of the city).
    pub id_number: String,
    pub admitted_on: NaiveDate,
    pub contract_number: String,
    pub contract_start: NaiveDate,
    pub contract_end: NaiveDate,
}

/// Admits a registry person under a contract: within the beds, one institution at a time.
pub async fn admit(app: &App, ctx: &Ctx, id: &str, a: Admission) -> AppResult<ResidentItem> {
    ctx.actor.require(Permission::ManageInstitutions)?;
    let today = app.today();
    let idn = IdNumber::parse(&a.id_number, today)
        .map_err(|e| AppError::invalid("id_number", e.to_string()))?;
    let number = validate::line("contract_number", "合同编号", &a.contract_number, 1, 50)?;
    validate::date("contract_start", "合同开始日期", a.contract_start)?;
    validate::date("contract_end", "合同结束日期", a.contract_end)?;
    if a.contract_end < a.contract_start {
        return Err(AppError::invalid(
            "contract_end",
            "合同结束日期不能早于开始日期",
        ));
    }
    if a.admitted_on < a.contract_start || a.admitted_on > a.contract_end {
        return Err(AppError::invalid("admitted_on", "入住日期应在合同期内"));
    }
    let mut tx = app.db.begin().await?;
    let (org, inst) = filed_tx(&mut tx, ctx, id).await?;
    date_between(
        "admitted_on",
        "入住日期",
        a.admitted_on,
        Some((inst.filed_on, "备案日期")),
        today,
    )?;
    let p = crate::storage::persons::by_id_number_tx(&mut tx, idn.as_str())
        .await?
        .ok_or_else(|| {
            AppError::invalid("id_number", "此身份证号码未在居民信息库登记，请先登记人员")
        })?;
    if p.status != "normal" {
        return Err(AppError::invalid(
            "id_number",
            format!(
                "此人在居民信息库中的状态为{}，不能办理入住",
                crate::app::registry::status_label(&p.status)
            ),
        ));
    }
    let live: i64 = tx
        .scalar(
            "SELECT COUNT(*) FROM institution_residents WHERE organisation_id = $1 AND discharged_on IS NULL",
            args![id],
        )
        .await?;
    if live >= inst.beds_total {
        return Err(AppError::conflict(
            "id_number",
            format!(
                "床位已满（{}张，在住{}人），不能再办理入住",
                inst.beds_total, live
            ),
        ));
    }
    let rid = new_id();
    let res = tx
        .execute(
            "INSERT INTO institution_residents (id, organisation_id, person_id, admitted_on, contract_number, contract_start, \
             contract_end, discharged_on, discharge_reason, admitted_by, discharged_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, NULL, $9)",
            args![&rid, id, &p.id, a.admitted_on, &number, a.contract_start, a.contract_end, &ctx.actor.display_name, now()],
        )
        .await;
    if let Err(e) = res {
        return Err(if e.is_unique_violation() {
            AppError::conflict("id_number", "此人正在养老机构入住，须先办理出院（退住）")
        } else {
            e.into()
        });
    }
    audit::record(
        &mut tx,
        ctx,
        Event::new("institution.admit", "institution_resident", &rid)
            .area(&org.area_code)
            .after(json!({"organisation_id": id, "person_id": p.id, "admitted_on": a.admitted_on,
                          "contract_number": number, "contract_start": a.contract_start, "contract_end": a.contract_end})),
    )
    .await?;
    tx.commit().await?;
    resident(app, ctx, &rid).await
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Discharge {
    pub discharged_on: NaiveDate,
    /// 合同到期、转院、去世、本人要求 …, at least 2 characters.
    pub reason: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct ResidentRow {
    id: String,
    organisation_id: String,
    person_id: String,
    admitted_on: NaiveDate,
    contract_number: String,
    contract_start: NaiveDate,
    contract_end: NaiveDate,
    discharged_on: Option<NaiveDate>,
    discharge_reason: Option<String>,
    admitted_by: String,
    discharged_by: Option<String>,
    name: String,
    id_number: String,
}

const RES_COLS: &str = "r.id, r.organisation_id, r.person_id, r.admitted_on, r.contract_number, r.contract_start, \
    r.contract_end, r.discharged_on, r.discharge_reason, r.admitted_by, r.discharged_by, p.name, p.id_number";

/// Ends a stay; the file stays (kept until 5 years after the contract ended).
pub async fn discharge(
    app: &App,
    ctx: &Ctx,
    resident_id: &str,
    d: Discharge,
) -> AppResult<ResidentItem> {
    ctx.actor.require(Permission::ManageInstitutions)?;
    let reason = validate::text(
        "reason",
        "出院（退住）原因",
        &d.reason,
        2,
        validate::TEXT_MAX,
    )?;
    let mut tx = app.db.begin().await?;
    let lock = tx.for_update();
    let org_id: String = tx
        .fetch_optional::<(String,)>(
            &format!("SELECT organisation_id FROM institution_residents WHERE id = $1{lock}"),
            args![resident_id],
        )
        .await?
        .map(|(o,)| o)
        .ok_or_else(|| AppError::NotFound("入住记录".into()))?;
    let org = org_tx(&mut tx, ctx, &org_id, false)
        .await
        .map_err(|_| AppError::NotFound("入住记录".into()))?;
    let r: ResidentRow = tx
        .fetch_one(
            &format!("SELECT {RES_COLS} FROM institution_residents r JOIN persons p ON p.id = r.person_id WHERE r.id = $1"),
            args![resident_id],
        )
        .await?;
    if r.discharged_on.is_some() {
        return Err(AppError::conflict("id", "该入住记录已办理出院（退住）"));
    }
    date_between(
        "discharged_on",
        "出院（退住）日期",
        d.discharged_on,
        Some((r.admitted_on, "入住日期")),
        app.today(),
    )?;
    tx.execute(
        "UPDATE institution_residents SET discharged_on = $2, discharge_reason = $3, discharged_by = $4 WHERE id = $1",
        args![resident_id, d.discharged_on, &reason, &ctx.actor.display_name],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("institution.discharge", "institution_resident", resident_id)
            .area(&org.area_code)
            .after(json!({"discharged_on": d.discharged_on, "reason": reason,
                          "keep_until": keep_until(r.contract_end, Some(d.discharged_on))})),
    )
    .await?;
    tx.commit().await?;
    resident(app, ctx, resident_id).await
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ResidentItem {
    pub id: String,
    pub organisation_id: String,
    pub person_id: String,
    /// masked: 张*明
    pub name: String,
    /// masked: 320281********123X
    pub id_number: String,
    pub admitted_on: NaiveDate,
    pub contract_number: String,
    pub contract_start: NaiveDate,
    pub contract_end: NaiveDate,
    pub discharged_on: Option<NaiveDate>,
    pub discharge_reason: Option<String>,
    pub admitted_by: String,
    pub discharged_by: Option<String>,
    /// The file is kept until this day: 5 years after the contract ended (the discharge, when earlier).
    pub keep_until: NaiveDate,
}

fn resident_item(r: ResidentRow) -> ResidentItem {
    ResidentItem {
        keep_until: keep_until(r.contract_end, r.discharged_on),
        name: idnumber::mask_name(&r.name),
        id_number: idnumber::mask(&r.id_number),
        id: r.id,
        organisation_id: r.organisation_id,
        person_id: r.person_id,
        admitted_on: r.admitted_on,
        contract_number: r.contract_number,
        contract_start: r.contract_start,
        contract_end: r.contract_end,
        discharged_on: r.discharged_on,
        discharge_reason: r.discharge_reason,
        admitted_by: r.admitted_by,
        discharged_by: r.discharged_by,
    }
}

pub async fn resident(app: &App, ctx: &Ctx, resident_id: &str) -> AppResult<ResidentItem> {
    ctx.actor.require(Permission::ReadInstitutions)?;
    let mut tx = app.db.begin().await?;
    let r: ResidentRow = tx
        .fetch_optional(
            &format!("SELECT {RES_COLS} FROM institution_residents r JOIN persons p ON p.id = r.person_id WHERE r.id = $1"),
            args![resident_id],
        )
        .await?
        .ok_or_else(|| AppError::NotFound("入住记录".into()))?;
    org_tx(&mut tx, ctx, &r.organisation_id, false)
        .await
        .map_err(|_| AppError::NotFound("入住记录".into()))?;
    tx.commit().await?;
    Ok(resident_item(r))
}

// ---------------------------------------------------------------------------------------------------------------
// The yearly on-site inspection

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Inspection {
    pub inspected_on: NaiveDate,
    /// At least two inspectors (names).
    pub inspectors: Vec<String>,
    /// passed (合格), rectify (限期整改) or failed (不合格)
    pub result: String,
    #[serde(default)]
    pub note: String,
}

pub async fn inspect(app: &App, ctx: &Ctx, id: &str, i: Inspection) -> AppResult<InspectionItem> {
    ctx.actor.require(Permission::ManageInstitutions)?;
    let mut names = Vec::new();
    for n in &i.inspectors {
        let n = validate::name("inspectors", "检查人员姓名", n, 0, validate::NAME_MAX)?;
        if !n.is_empty() && !names.contains(&n) {
            names.push(n);
        }
    }
    if names.len() < 2 {
        return Err(AppError::invalid(
            "inspectors",
            "现场检查须有至少2名检查人员",
        ));
    }
    if names.len() > 10 {
        return Err(AppError::invalid("inspectors", "检查人员不能超过10名"));
    }
    let result = InspectionResult::parse(i.result.trim()).ok_or_else(|| {
        AppError::invalid(
            "result",
            "检查结论应为 passed（合格）、rectify（限期整改）或 failed（不合格）",
        )
    })?;
    let min_note = if result == InspectionResult::Passed {
        0
    } else {
        4
    };
    let note = validate::text("note", "检查情况", &i.note, min_note, validate::TEXT_MAX)?;
    let mut tx = app.db.begin().await?;
    let (org, inst) = filed_tx(&mut tx, ctx, id).await?;
    date_between(
        "inspected_on",
        "检查日期",
        i.inspected_on,
        Some((inst.filed_on, "备案日期")),
        app.today(),
    )?;
    let iid = new_id();
    let inspectors = names.join("、");
    tx.execute(
        "INSERT INTO institution_inspections (id, organisation_id, inspected_on, inspectors, result, note, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![&iid, id, i.inspected_on, &inspectors, result.code(), &note, &ctx.actor.display_name, now()],
    )
    .await?;
    // the institution's row changes with it (its next due date), so concurrent records serialise on it
    tx.execute(
        "UPDATE institutions SET updated_at = $2 WHERE organisation_id = $1",
        args![id, now()],
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("institution.inspect", "organisation", id)
            .area(&org.area_code)
            .after(
                json!({"inspection": iid, "inspected_on": i.inspected_on, "inspectors": inspectors,
                          "result": result.code(), "note": note}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(InspectionItem {
        id: iid,
        inspected_on: i.inspected_on,
        inspectors,
        result: result.code().into(),
        result_label: result.label().into(),
        note,
        recorded_by: ctx.actor.display_name.clone(),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct DocumentItem {
    pub id: String,
    pub name: String,
    /// Set when a scanned file was uploaded.
    pub content_type: Option<String>,
    pub size: Option<i64>,
    pub added_by: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct BedItem {
    pub changed_on: NaiveDate,
    pub beds_total: i64,
    pub beds_nursing: i64,
    pub ownership: String,
    #[sqlx(skip)]
    pub ownership_label: String,
    /// The change of the total (the filing's beds count as added on the filing date).
    pub added: i64,
    pub note: String,
    pub changed_by: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InspectionItem {
    pub id: String,
    pub inspected_on: NaiveDate,
    pub inspectors: String,
    pub result: String,
    pub result_label: String,
    pub note: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FilingView {
    pub filed_on: NaiveDate,
    pub filing_number: String,
    pub ownership: String,
    pub ownership_label: String,
    pub beds_total: i64,
    pub beds_nursing: i64,
    /// 1–5, none before a rating
    pub star_grade: Option<i64>,
    pub star_label: String,
    pub star_rated_on: Option<NaiveDate>,
    pub filed_by: String,
}

/// One institution with everything this line keeps about it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InstitutionView {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub area_code: String,
    pub area_name: String,
    pub address: String,
    /// active or closed (the registry's)
    pub status: String,
    /// None until the institution is filed.
    pub filing: Option<FilingView>,
    pub documents: Vec<DocumentItem>,
    pub beds: Vec<BedItem>,
    /// New beds dated this year (positive changes of the total).
    pub new_beds_this_year: i64,
    pub residents: Vec<ResidentItem>,
    pub residents_live: i64,
    pub inspections: Vec<InspectionItem>,
    pub last_inspected_on: Option<NaiveDate>,
    /// The next on-site inspection is due by this day (none yet: due now).
    pub inspection_due_on: Option<NaiveDate>,
    /// No on-site inspection in the last 365 days (an active institution).
    pub inspection_overdue: bool,
}

pub async fn get(app: &App, ctx: &Ctx, id: &str) -> AppResult<InstitutionView> {
    ctx.actor.require(Permission::ReadInstitutions)?;
    let o = crate::app::organisations::get(app, ctx, id)
        .await
        .ok()
        .filter(|o| o.kind == KIND)
        .ok_or_else(|| AppError::NotFound("养老机构".into()))?;
    let inst: Option<InstRow> = app
        .db
        .conn()
        .fetch_optional(
            &format!("SELECT {INST_COLS} FROM institutions WHERE organisation_id = $1"),
            args![id],
        )
        .await?;
    let documents: Vec<DocumentItem> = app
        .db
        .conn()
        .fetch_all(
            "SELECT id, name, content_type, size, added_by FROM institution_documents WHERE organisation_id = $1 ORDER BY added_at, id",
            args![id],
        )
        .await?;
    let mut beds: Vec<BedItem> = app
        .db
        .conn()
        .fetch_all(
            "SELECT changed_on, beds_total, beds_nursing, ownership, added, note, changed_by FROM institution_beds \
             WHERE organisation_id = $1 ORDER BY changed_on, at, id",
            args![id],
        )
        .await?;
    for b in &mut beds {
        b.ownership_label = Ownership::parse(&b.ownership)
            .map(Ownership::label)
            .unwrap_or("")
            .into();
    }
    let residents: Vec<ResidentRow> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT {RES_COLS} FROM institution_residents r JOIN persons p ON p.id = r.person_id \
                 WHERE r.organisation_id = $1 ORDER BY (CASE WHEN r.discharged_on IS NULL THEN 0 ELSE 1 END), r.admitted_on DESC, r.id"
            ),
            args![id],
        )
        .await?;
    let inspections: Vec<(String, NaiveDate, String, String, String, String)> = app
        .db
        .conn()
        .fetch_all(
            "SELECT id, inspected_on, inspectors, result, note, recorded_by FROM institution_inspections \
             WHERE organisation_id = $1 ORDER BY inspected_on DESC, created_at DESC",
            args![id],
        )
        .await?;
    let today = app.today();
    let year = today.year();
    let last = inspections.first().map(|i| i.1);
    let view = InstitutionView {
        id: o.id.clone(),
        area_name: app.areas().full_name(&o.area_code),
        name: o.name,
        credit_code: o.credit_code,
        area_code: o.area_code,
        address: o.address,
        inspection_overdue: o.status == "active" && inspection_overdue(last, today),
        status: o.status,
        filing: inst.map(|i| FilingView {
            ownership_label: Ownership::parse(&i.ownership)
                .map(Ownership::label)
                .unwrap_or("")
                .into(),
            star_label: rule::star_label(i.star_grade.unwrap_or(0)).into(),
            filed_on: i.filed_on,
            filing_number: i.filing_number,
            ownership: i.ownership,
            beds_total: i.beds_total,
            beds_nursing: i.beds_nursing,
            star_grade: i.star_grade,
            star_rated_on: i.star_rated_on,
            filed_by: i.filed_by,
        }),
        documents,
        new_beds_this_year: beds
            .iter()
            .filter(|b| b.changed_on.year() == year && b.added > 0)
            .map(|b| b.added)
            .sum(),
        beds,
        residents_live: residents
            .iter()
            .filter(|r| r.discharged_on.is_none())
            .count() as i64,
        residents: residents.into_iter().map(resident_item).collect(),
        inspections: inspections
            .into_iter()
            .map(|(id, on, who, result, note, by)| InspectionItem {
                id,
                inspected_on: on,
                inspectors: who,
                result_label: InspectionResult::parse(&result)
                    .map(InspectionResult::label)
                    .unwrap_or("")
                    .into(),
                result,
                note,
                recorded_by: by,
            })
            .collect(),
        last_inspected_on: last,
        inspection_due_on: last.map(rule::inspection_due),
    };
    Ok(view)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct InstitutionQuery {
    /// Part of the name, or the whole credit code.
    pub q: Option<String>,
    /// A town or village code inside the caller's scope.
    pub area: Option<String>,
    /// filed or unfiled
    pub filing: Option<String>,
    /// true: only institutions without an on-site inspection in the last 365 days
    pub overdue: Option<bool>,
    /// 1–5: only institutions of that star grade
    pub star: Option<i64>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InstitutionItem {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub area_code: String,
    pub area_name: String,
    pub status: String,
    pub filed_on: Option<NaiveDate>,
    pub ownership_label: String,
    pub beds_total: Option<i64>,
    pub beds_nursing: Option<i64>,
    pub star_grade: Option<i64>,
    pub residents_live: i64,
    pub last_inspected_on: Option<NaiveDate>,
    pub inspection_overdue: bool,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InstitutionPage {
    pub items: Vec<InstitutionItem>,
    pub total: i64,
    /// Overdue for their on-site inspection, among all that match (not only this page).
    pub overdue: i64,
    pub page: i64,
    pub pages: i64,
}

type ListRow = (
    String,
    String,
    String,
    String,
    String,
    Option<NaiveDate>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    Option<NaiveDate>,
);

/// Elderly institutions in the caller's scope: by name or code, area, filing, overdue inspection and star grade.
pub async fn list(app: &App, ctx: &Ctx, q: &InstitutionQuery) -> AppResult<InstitutionPage> {
    ctx.actor.require(Permission::ReadInstitutions)?;
    let filter = crate::app::registry::area_filter(app, ctx, q.area.as_deref());
    let (cond, a) = filter.sql("o.area_code", "o.town_code", 1);
    let mut args: Vec<Arg> = a.into_iter().collect();
    let mut conds = vec![cond, format!("o.kind = '{KIND}'")];
    if let Some(s) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if s.chars().count() > 50 {
            return Err(AppError::invalid("q", "查询内容不能超过50个字"));
        }
        args.push(Arg::from(format!("%{}%", s.replace(['%', '_'], ""))));
        args.push(Arg::from(s.to_uppercase()));
        conds.push(format!(
            "(o.name LIKE ${} OR o.credit_code = ${})",
            args.len() - 1,
            args.len()
        ));
    }
    match q.filing.as_deref().map(str::trim).unwrap_or("") {
        "" => {}
        "filed" => conds.push("i.organisation_id IS NOT NULL".into()),
        "unfiled" => conds.push("i.organisation_id IS NULL".into()),
        _ => {
            return Err(AppError::invalid(
                "filing",
                "备案状态应为 filed（已备案）或 unfiled（未备案）",
            ));
        }
    }
    if let Some(s) = q.star {
        if !rule::valid_star(s) {
            return Err(AppError::invalid("star", "星级应为1–5星"));
        }
        args.push(Arg::from(s));
        conds.push(format!("i.star_grade = ${}", args.len()));
    }
    let today = app.today();
    args.push(Arg::from(today - Duration::days(rule::INSPECTION_DAYS)));
    let since = args.len();
    let overdue_cond = format!(
        "(o.status = 'active' AND NOT EXISTS (SELECT 1 FROM institution_inspections x \
         WHERE x.organisation_id = o.id AND x.inspected_on >= ${since}))"
    );
    if q.overdue == Some(true) {
        conds.push(overdue_cond.clone());
    }
    let w = conds.join(" AND ");
    let from = "FROM organisations o LEFT JOIN institutions i ON i.organisation_id = o.id";
    let (total, overdue): (i64, i64) = app
        .db
        .conn()
        .fetch_one(
            &format!(
                "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN {overdue_cond} THEN 1 ELSE 0 END), 0) AS BIGINT) {from} WHERE {w}"
            ),
            args.clone(),
        )
        .await?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let n = args.len();
    args.push(Arg::from(PAGE));
    args.push(Arg::from((page - 1) * PAGE));
    let rows: Vec<ListRow> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT o.id, o.name, o.credit_code, o.area_code, o.status, i.filed_on, i.ownership, i.beds_total, i.beds_nursing, \
                 i.star_grade, \
                 (SELECT COUNT(*) FROM institution_residents r WHERE r.organisation_id = o.id AND r.discharged_on IS NULL), \
                 (SELECT x.inspected_on FROM institution_inspections x WHERE x.organisation_id = o.id ORDER BY x.inspected_on DESC LIMIT 1) \
                 {from} WHERE {w} ORDER BY o.town_code, o.name, o.id LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            ),
            args,
        )
        .await?;
    let areas = app.areas();
    let items = rows
        .into_iter()
        .map(
            |(
                id,
                name,
                credit_code,
                area_code,
                status,
                filed_on,
                own,
                bt,
                bn,
                star,
                live,
                last,
            )| {
                InstitutionItem {
                    area_name: areas.full_name(&area_code),
                    inspection_overdue: status == "active" && inspection_overdue(last, today),
                    ownership_label: own
                        .as_deref()
                        .and_then(Ownership::parse)
                        .map(Ownership::label)
                        .unwrap_or("")
                        .into(),
                    id,
                    name,
                    credit_code,
                    area_code,
                    status,
                    filed_on,
                    beds_total: bt,
                    beds_nursing: bn,
                    star_grade: star,
                    residents_live: live,
                    last_inspected_on: last,
                }
            },
        )
        .collect();
    Ok(InstitutionPage {
        items,
        total,
        overdue,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct NewBeds {
    pub year: i32,
    /// New beds in the caller's scope: positive changes of the total dated in the year.
    pub added: i64,
    /// Of which 护理型 (positive changes of the nursing beds).
    pub nursing_added: i64,
    /// By town: (town code, town name, new beds).
    pub by_town: Vec<TownBeds>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TownBeds {
    pub town_code: String,
    pub town: String,
    pub added: i64,
}

/// New beds of a year (T16-style 新增养老床位), within the caller's scope.
pub async fn new_beds(app: &App, ctx: &Ctx, year: i32, area: Option<&str>) -> AppResult<NewBeds> {
    ctx.actor.require(Permission::ReadInstitutions)?;
    if !(1900..=2100).contains(&year) {
        return Err(AppError::invalid("year", "年份应在1900–2100之间"));
    }
    let filter = crate::app::registry::area_filter(app, ctx, area);
    let (cond, a) = filter.sql("o.area_code", "o.town_code", 3);
    let mut args = args![
        NaiveDate::from_ymd_opt(year, 1, 1).expect("date"),
        NaiveDate::from_ymd_opt(year, 12, 31).expect("date")
    ];
    args.extend(a);
    // each change's nursing delta is its nursing count less the previous record's
    let rows: Vec<(String, i64, i64)> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT o.town_code, b.added, b.beds_nursing - COALESCE((SELECT p.beds_nursing FROM institution_beds p \
                 WHERE p.organisation_id = b.organisation_id AND (p.changed_on < b.changed_on OR (p.changed_on = b.changed_on AND p.at < b.at)) \
                 ORDER BY p.changed_on DESC, p.at DESC LIMIT 1), 0) \
                 FROM institution_beds b JOIN organisations o ON o.id = b.organisation_id \
                 WHERE b.changed_on >= $1 AND b.changed_on <= $2 AND {cond} ORDER BY o.town_code"
            ),
            args,
        )
        .await?;
    let areas = app.areas();
    let mut by_town: Vec<TownBeds> = Vec::new();
    let (mut added, mut nursing) = (0, 0);
    for (town, add, nurse) in rows {
        let add = add.max(0);
        added += add;
        nursing += nurse.max(0);
        match by_town.last_mut() {
            Some(t) if t.town_code == town => t.added += add,
            _ => by_town.push(TownBeds {
                town: areas.name(&town),
                town_code: town,
                added: add,
            }),
        }
    }
    Ok(NewBeds {
        year,
        added,
        nursing_added: nursing,
        by_town,
    })
}
