//! The audit log: append-only and hash-chained. Each entry's hash covers its content and the
//! previous entry's hash; the head row (updated in the same transaction) catches a deleted tail.

use super::authz::Permission;
use super::{App, AppError, AppResult, Ctx};
use crate::storage::audit::{self as store, AuditFilter, AuditRow};
use crate::storage::{Db, Tx, new_id, now};
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, to what, in which area.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: String,
    pub area_code: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub success: bool,
}

impl Event {
    pub fn new(action: &'static str, entity: &'static str, entity_id: impl Into<String>) -> Event {
        Event {
            action,
            entity,
            entity_id: entity_id.into(),
            success: true,
            ..Default::default()
        }
    }
    pub fn area(mut self, code: impl Into<String>) -> Event {
        self.area_code = Some(code.into());
        self
    }
    pub fn before(mut self, v: impl serde::Serialize) -> Event {
        self.before = serde_json::to_value(v).ok();
        self
    }
    pub fn after(mut self, v: impl serde::Serialize) -> Event {
        self.after = serde_json::to_value(v).ok();
        self
    }
    pub fn failed(mut self) -> Event {
        self.success = false;
        self
    }
}

/// Appends one entry inside the caller's transaction, so the entry and the change commit together.
pub async fn record(tx: &mut Tx, ctx: &Ctx, ev: Event) -> AppResult<()> {
    tx.mark_audited();
    let (seq, prev_hash) = store::advance_head(tx).await?;
    let mut row = AuditRow {
        seq,
        id: new_id(),
        at: now(),
        user_id: ctx.actor.user_id.clone(),
        username: ctx.actor.username.clone(),
        action: ev.action.into(),
        entity: ev.entity.into(),
        entity_id: ev.entity_id,
        area_code: ev.area_code,
        ip: ctx.ip.clone(),
        success: ev.success,
        before_json: ev.before.map(|v| v.to_string()),
        after_json: ev.after.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    };
    row.hash = entry_hash(&row, row.seq);
    store::append(tx, &row).await?;
    Ok(())
}

/// Appends many entries inside the caller's transaction in a few statements (a roll's amount changes): the same
/// chain as one [`record`] after another.
pub async fn record_many(tx: &mut Tx, ctx: &Ctx, events: Vec<Event>) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let (last, mut prev_hash) = store::advance_head_by(tx, events.len() as i64).await?;
    let first = last - events.len() as i64 + 1;
    let at = now();
    let mut rows = Vec::with_capacity(events.len());
    for (i, ev) in events.into_iter().enumerate() {
        let mut row = AuditRow {
            seq: first + i as i64,
            id: new_id(),
            at,
            user_id: ctx.actor.user_id.clone(),
            username: ctx.actor.username.clone(),
            action: ev.action.into(),
            entity: ev.entity.into(),
            entity_id: ev.entity_id,
            area_code: ev.area_code,
            ip: ctx.ip.clone(),
            success: ev.success,
            before_json: ev.before.map(|v| v.to_string()),
            after_json: ev.after.map(|v| v.to_string()),
            prev_hash,
            hash: String::new(),
        };
        row.hash = entry_hash(&row, row.seq);
        prev_hash = row.hash.clone();
        rows.push(row);
    }
    store::append_many(tx, &rows).await?;
    Ok(())
}

/// Records an event in a transaction of its own (reads, failed logins).
pub async fn record_alone(db: &Db, ctx: &Ctx, ev: Event) -> AppResult<()> {
    let mut tx = db.begin().await?;
    record(&mut tx, ctx, ev).await?;
    tx.commit().await?;
    Ok(())
}

/// SHA-256 over length-prefixed fields, so no two different entries share an encoding.
pub fn entry_hash(r: &AuditRow, seq: i64) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    field(&seq.to_string());
    field(&r.id);
    field(&r.at.timestamp_micros().to_string());
    field(r.user_id.as_deref().unwrap_or(""));
    field(&r.username);
    field(&r.action);
    field(&r.entity);
    field(&r.entity_id);
    field(r.area_code.as_deref().unwrap_or(""));
    field(&r.ip);
    field(if r.success { "1" } else { "0" });
    field(r.before_json.as_deref().unwrap_or("\u{0}"));
    field(r.after_json.as_deref().unwrap_or("\u{0}"));
    field(&r.prev_hash);
    hex::encode(h.finalize())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tamper {
    Altered(i64),
    Inserted(i64),
    Deleted(i64),
}

impl std::fmt::Display for Tamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tamper::Altered(s) => write!(f, "第 {s} 条审计记录被篡改"),
            Tamper::Inserted(s) => write!(f, "第 {s} 条审计记录是被插入的"),
            Tamper::Deleted(s) => write!(f, "第 {s} 条审计记录已被删除"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub entries: i64,
    pub first_problem: Option<Tamper>,
}

/// Walks the whole chain online in order (streamed) and names the first altered, inserted or deleted entry. After
/// an archive the chain starts from the boundary it left (the last archived entry's number and hash).
pub async fn verify(db: &Db) -> AppResult<VerifyReport> {
    let (head_seq, head_hash) = store::head(db).await?;
    let (mut expected, mut prev) = match store::latest_archive(db).await? {
        Some(a) => (a.last_seq + 1, a.last_hash),
        None => (1i64, GENESIS.to_string()),
    };
    let mut prev_prev = prev.clone();
    let mut problem: Option<Tamper> = None;
    let mut count = 0i64;
    store::for_each(db, |r: AuditRow| {
        count += 1;
        if problem.is_some() {
            return Ok(());
        }
        if r.seq > expected {
            problem = Some(Tamper::Deleted(expected));
            return Ok(());
        }
        if r.seq < expected {
            problem = Some(Tamper::Inserted(r.seq));
            return Ok(());
        }
        let content_ok = entry_hash(&r, r.seq) == r.hash;
        if !content_ok {
            // An entry renumbered to make room for an insertion still hashes under its old number.
            problem = Some(if entry_hash(&r, r.seq - 1) == r.hash {
                Tamper::Inserted(r.seq - 1)
            } else {
                Tamper::Altered(r.seq)
            });
            return Ok(());
        }
        if r.prev_hash != prev {
            problem = Some(if r.prev_hash == prev_prev {
                Tamper::Inserted(r.seq - 1)
            } else {
                Tamper::Altered(r.seq - 1)
            });
            return Ok(());
        }
        prev_prev = std::mem::replace(&mut prev, r.hash.clone());
        expected += 1;
        Ok(())
    })
    .await?;
    if problem.is_none() {
        let last = expected - 1;
        if head_seq > last {
            problem = Some(Tamper::Deleted(last + 1));
        } else if head_seq < last {
            problem = Some(Tamper::Inserted(head_seq + 1));
        } else if head_hash != prev {
            problem = Some(Tamper::Altered(last));
        }
    }
    Ok(VerifyReport {
        entries: count,
        first_problem: problem,
    })
}

pub async fn search(
    app: &super::App,
    ctx: &Ctx,
    f: &AuditFilter,
    page: i64,
) -> AppResult<(Vec<AuditRow>, i64)> {
    ctx.actor.require(Permission::ReadAudit)?;
    let (rows, total) = store::search(&app.db, f, 50, (page.max(1) - 1) * 50).await?;
    Ok((rows, total))
}

/// The Chinese name of every event code the platform writes (the audit page shows these, never the code). A test
/// (`every_event_code_has_a_chinese_name`) reads every code written in `src/` and fails on one missing here: add a
/// new event's name in this one place.
pub fn event_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "auth.login" => "登录",
        "auth.logout" => "退出登录",
        "auth.token.issue" => "签发接口令牌",
        "auth.token.revoke" => "吊销接口令牌",
        "auth.password" => "密码验证通过（待动态口令）",
        "auth.token.use" => "使用接口令牌（当日首次）",
        "auth.forbidden" => "越权访问被拒绝",
        "auth.totp.enrol" => "绑定动态口令",
        "user.totp_reset" => "重置动态口令",
        "security.policy" => "修改安全策略",
        "audit.archive" => "审计日志归档",
        "user.add" => "新增用户",
        "user.change_role" => "调整用户角色或区划",
        "user.reset_password" => "重置密码",
        "user.disable" => "停用用户",
        "user.enable" => "启用用户",
        "areas.import" => "导入行政区划",
        "calendar.import" => "导入节假日安排",
        "system.backup" => "系统备份",
        "demo.generate" => "生成演示数据",
        "list.export" => "导出列表",
        "person.create" => "新增人员",
        "person.update" => "修改人员信息",
        "person.reveal" => "查看完整个人信息",
        "person.export" => "导出人员信息",
        "household.create" => "新增家庭",
        "standards.propose" => "提出救助标准",
        "standards.approve" => "批准救助标准",
        "application.create" => "受理救助申请登记",
        "application.act" => "办理救助申请环节",
        "application.batch_accept" => "批量受理救助申请",
        "application.missing_notice" => "一次性告知补齐材料",
        "application.extend" => "延长申请办理期限",
        "case.change" => "救助对象变更",
        "case.stop" => "停止救助",
        "temporary.request" => "申请临时救助",
        "temporary.decide" => "审批临时救助",
        "temporary.batch" => "批量发放临时救助",
        "payments.generate" => "生成发放名册",
        "payments.approve" => "审批发放名册",
        "payments.export" => "导出银行发放文件",
        "payments.return" => "导入银行回盘",
        "ledger.import" => "导入救助台账",
        "ledger.export" => "导出救助台账",
        "source.load" => "导入部门核对数据",
        "verification.run" => "开展核对",
        "finding.decide" => "处置核对疑点",
        "finding.batch_decide" => "批量处置核对疑点",
        "staff.add" => "新增工作人员备案",
        "staff.relative" => "新增近亲属备案",
        "tasks.warnings" => "生成预警网格任务",
        "task.visit" => "记录入户走访",
        "task.close" => "办结网格任务",
        "task.batch_close" => "批量办结网格任务",
        "targets.import" => "导入年度工作目标",
        "targets.report" => "填报目标进度",
        "targets.evidence" => "上传目标佐证材料",
        "targets.decide" => "审核目标进度",
        "organisation.create" => "新增机构或组织",
        "organisation.update" => "修改机构或组织",
        "elderly.account" => "养老服务账户",
        "elderly.assessment" => "老年人能力评估",
        "elderly.care_risk" => "登记照护风险事件",
        "elderly.allowance_standard" => "高龄津贴标准",
        "institution.file" => "养老机构备案",
        "institution.beds" => "养老机构床位",
        "institution.admit" => "养老机构入住",
        "institution.discharge" => "养老机构退住",
        "institution.document" => "养老机构证照材料",
        "institution.inspect" => "养老机构检查",
        "institution.star" => "养老机构星级评定",
        "safety.inspect" => "安全检查",
        "safety.hazard" => "登记安全隐患",
        "safety.hazard_close" => "隐患整改销号",
        "safety.incident" => "登记安全事件",
        "safety.incident_close" => "安全事件办结",
        "safety.closure" => "封闭管理",
        "safety.closure_end" => "解除封闭管理",
        "safety.screening" => "健康筛查",
        "children.register" => "儿童登记",
        "children.allowance" => "儿童基本生活费",
        "children.allowance_stop" => "停发儿童基本生活费",
        "children.standard" => "儿童基本生活费标准",
        "children.appoint" => "儿童督导员、儿童主任任命",
        "children.worker_end" => "儿童督导员、儿童主任离任",
        "children.visit" => "儿童探访",
        "children.education" => "儿童教育情况",
        "children.training" => "儿童工作培训",
        "children.report" => "儿童困境报告",
        "children.report_handle" => "处理儿童困境报告",
        "children.report_police" => "儿童困境报告转公安",
        "children.expire" => "儿童登记到期",
        "children.end" => "儿童登记终止",
        "disability.file" => "残疾人补贴申请",
        "disability.check" => "残疾人补贴核对",
        "disability.decide" => "残疾人补贴审批",
        "disability.stop" => "停发残疾人补贴",
        "disability.standard" => "残疾人补贴标准",
        "children.adoption_assess" => "收养评估",
        "children.adoption_file" => "受理收养登记申请",
        "children.adoption_refuse" => "不予收养登记",
        "children.adoption_register" => "办理收养登记",
        "children.guardianship_end" => "结束国家监护",
        "children.guardianship_start" => "开始国家监护",
        "children.reclassify" => "儿童类别重新认定",
        "disability.regrade" => "残疾等级变化调整补贴",
        "disability.setting" => "残疾人补贴政策设置",
        "elderly.adaptation_accept" => "适老化改造验收",
        "elderly.adaptation_plan" => "适老化改造立项",
        "elderly.care_bed" => "设立家庭照护床位",
        "elderly.care_bed_end" => "撤销家庭照护床位",
        "elderly.care_bed_visit" => "家庭照护床位服务",
        "elderly.carer" => "登记养老护理员",
        "elderly.carer_training" => "养老护理员培训",
        "elderly.designation" => "养老设施命名认定",
        "elderly.facility" => "社区养老设施信息",
        "elderly.home_care_end" => "终止居家养老援助",
        "elderly.home_care_grant" => "批准居家养老援助",
        "elderly.home_care_service" => "居家养老援助服务记录",
        "elderly.standard_check" => "社区养老设施标配检查",
        "elderly.volunteer" => "登记养老志愿者",
        "system.rekey" => "数据库加密或更换密钥",
        _ => return None,
    })
}

/// Entries stay online at least this long (网络安全法 Art. 21: six months); only older ones may be archived.
pub const RETENTION_DAYS: i64 = 183;

const ARCHIVE_FORMAT: &str = "minzheng-audit-archive-v1";

type HmacSha256 = hmac::Hmac<Sha256>;

/// The archive signing key (MINZHENG_AUDIT_KEY or a key file): at least 32 characters.
pub fn archive_key(text: &str) -> AppResult<Vec<u8>> {
    let k = text.trim();
    if k.chars().count() < 32 {
        return Err(AppError::invalid(
            "key",
            "归档签名密钥至少32个字符（MINZHENG_AUDIT_KEY 或 --key-file）",
        ));
    }
    Ok(k.as_bytes().to_vec())
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct ArchiveHeader {
    format: String,
    first_seq: i64,
    last_seq: i64,
    /// the hash before the first entry (the chain continues from it)
    prev_hash: String,
    before: chrono::NaiveDate,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct ArchiveTrailer {
    entries: i64,
    last_hash: String,
    /// HMAC-SHA256 (hex) over every byte before this line
    signature: String,
}

/// What an archive holds, once written or checked.
#[derive(Debug, Clone)]
pub struct ArchiveSummary {
    pub first_seq: i64,
    pub last_seq: i64,
    pub entries: i64,
    pub prev_hash: String,
    pub last_hash: String,
    pub file_sha256: String,
}

fn midnight_utc(d: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    crate::util::shanghai()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("fixed offset")
        .with_timezone(&chrono::Utc)
}

/// Moves the entries written before `before` (a date in Asia/Shanghai, at least [`RETENTION_DAYS`] ago) to a
/// signed file: JSON lines (a header, the entries, a trailer with the HMAC-SHA256 of everything above it). The
/// file is written and synced before anything is removed; the boundary (last number and hash) stays in
/// `audit_archives`, so the online chain still verifies; the archive itself is audited. `None`: nothing to
/// archive.
pub async fn archive(
    app: &App,
    ctx: &Ctx,
    before: chrono::NaiveDate,
    out: &std::path::Path,
    key: &[u8],
) -> AppResult<Option<ArchiveSummary>> {
    use std::io::Write;
    let latest = app.today() - chrono::Duration::days(RETENTION_DAYS);
    if before > latest {
        return Err(AppError::invalid(
            "before",
            format!("审计日志须在线保留至少6个月：归档截止日期不能晚于 {latest}"),
        ));
    }
    if let Some(t) = verify(&app.db).await?.first_problem {
        return Err(AppError::BadRequest(format!(
            "审计日志校验未通过，不能归档：{t}"
        )));
    }
    let (first, prev_hash) = match store::latest_archive(&app.db).await? {
        Some(a) => (a.last_seq + 1, a.last_hash),
        None => (1, GENESIS.to_string()),
    };
    let Some(last) = store::last_seq_before(&app.db, midnight_utc(before))
        .await?
        .filter(|l| *l >= first)
    else {
        return Ok(None);
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .map_err(|e| {
            AppError::invalid("out", format!("无法新建归档文件 {}：{e}", out.display()))
        })?;
    let mut w = std::io::BufWriter::new(file);
    let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    let mut digest = Sha256::new();
    let mut put = |line: &str, mac: &mut HmacSha256, w: &mut std::io::BufWriter<std::fs::File>| {
        let bytes = format!("{line}\n");
        hmac::Mac::update(mac, bytes.as_bytes());
        digest.update(bytes.as_bytes());
        w.write_all(bytes.as_bytes())
    };
    let io = |e: std::io::Error| AppError::Internal(anyhow::anyhow!("写归档文件失败: {e}"));
    let header = ArchiveHeader {
        format: ARCHIVE_FORMAT.into(),
        first_seq: first,
        last_seq: last,
        prev_hash: prev_hash.clone(),
        before,
    };
    put(
        &serde_json::to_string(&header).expect("header"),
        &mut mac,
        &mut w,
    )
    .map_err(io)?;
    let mut entries = 0i64;
    let mut last_hash = prev_hash.clone();
    let mut failed: Option<std::io::Error> = None;
    store::for_each_range(&app.db, first, last, |r| {
        if failed.is_none() {
            entries += 1;
            last_hash = r.hash.clone();
            if let Err(e) = put(&serde_json::to_string(&r).expect("entry"), &mut mac, &mut w) {
                failed = Some(e);
            }
        }
        Ok(())
    })
    .await?;
    if let Some(e) = failed {
        return Err(io(e));
    }
    if entries != last - first + 1 {
        return Err(AppError::BadRequest(format!(
            "第 {first}–{last} 条审计记录不完整（只读到 {entries} 条），未归档"
        )));
    }
    let signature = hex::encode(hmac::Mac::finalize(mac.clone()).into_bytes());
    let trailer = ArchiveTrailer {
        entries,
        last_hash: last_hash.clone(),
        signature,
    };
    let line = format!("{}\n", serde_json::to_string(&trailer).expect("trailer"));
    digest.update(line.as_bytes());
    w.write_all(line.as_bytes()).map_err(io)?;
    let file = w.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    let file_sha256 = hex::encode(digest.finalize());
    let row = store::ArchiveRow {
        id: new_id(),
        first_seq: first,
        last_seq: last,
        prev_hash: prev_hash.clone(),
        last_hash: last_hash.clone(),
        entries,
        before_date: before,
        file_name: out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file_sha256: file_sha256.clone(),
        archived_at: now(),
    };
    let mut tx = app.db.begin().await?;
    store::archive_through(&mut tx, &row).await?;
    record(
        &mut tx,
        ctx,
        Event::new("audit.archive", "audit_archive", &row.id).after(serde_json::json!({
            "first_seq": first, "last_seq": last, "entries": entries, "before": before,
            "file": row.file_name, "file_sha256": file_sha256, "last_hash": last_hash,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(ArchiveSummary {
        first_seq: first,
        last_seq: last,
        entries,
        prev_hash,
        last_hash,
        file_sha256,
    }))
}

/// Checks an archive file: its signature under the key, every entry's hash and the chain from the header's
/// previous hash to the trailer's last hash. With a database, the boundary it left there must match too.
pub async fn verify_archive(
    db: Option<&Db>,
    path: &std::path::Path,
    key: &[u8],
) -> AppResult<ArchiveSummary> {
    let bad = |m: String| AppError::BadRequest(format!("归档文件校验失败：{m}"));
    let bytes = std::fs::read(path)
        .map_err(|e| AppError::invalid("file", format!("无法读取 {}：{e}", path.display())))?;
    let body_end = bytes[..bytes.len().saturating_sub(1)]
        .iter()
        .rposition(|b| *b == b'\n')
        .map(|i| i + 1)
        .ok_or_else(|| bad("文件不完整".into()))?;
    let (body, trailer) = bytes.split_at(body_end);
    let trailer: ArchiveTrailer =
        serde_json::from_slice(trailer).map_err(|_| bad("缺少签名行".into()))?;
    let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    hmac::Mac::update(&mut mac, body);
    let sig = hex::decode(&trailer.signature).map_err(|_| bad("签名格式不对".into()))?;
    hmac::Mac::verify_slice(mac, &sig)
        .map_err(|_| bad("签名不符（文件被改动，或密钥不同）".into()))?;
    let mut lines = body.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let header: ArchiveHeader = lines
        .next()
        .and_then(|l| serde_json::from_slice(l).ok())
        .filter(|h: &ArchiveHeader| h.format == ARCHIVE_FORMAT)
        .ok_or_else(|| bad("缺少文件头".into()))?;
    let mut prev = header.prev_hash.clone();
    let mut expected = header.first_seq;
    for l in lines {
        let r: AuditRow =
            serde_json::from_slice(l).map_err(|_| bad(format!("第 {expected} 条无法读取")))?;
        if r.seq != expected || r.prev_hash != prev || entry_hash(&r, r.seq) != r.hash {
            return Err(bad(format!("第 {expected} 条与哈希链不符")));
        }
        prev = r.hash;
        expected += 1;
    }
    let entries = expected - header.first_seq;
    if entries != trailer.entries || expected - 1 != header.last_seq || prev != trailer.last_hash {
        return Err(bad("条数或末条哈希与文件头、签名行不符".into()));
    }
    let file_sha256 = hex::encode(Sha256::digest(&bytes));
    if let Some(db) = db {
        let known = store::archives(db).await?;
        if let Some(a) = known.iter().find(|a| a.last_seq == header.last_seq)
            && (a.last_hash != prev
                || a.first_seq != header.first_seq
                || a.file_sha256 != file_sha256)
        {
            return Err(bad("与数据库中记录的归档边界不一致".into()));
        }
    }
    Ok(ArchiveSummary {
        first_seq: header.first_seq,
        last_seq: header.last_seq,
        entries,
        prev_hash: header.prev_hash,
        last_hash: prev,
        file_sha256,
    })
}

/// The chain's head as exported daily (`audit head`): kept outside the database, it lets a rewrite of the whole
/// log — every hash recomputed, the head row updated — be detected by [`check_heads`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeadExport {
    pub seq: i64,
    pub hash: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

pub async fn head(db: &Db) -> AppResult<HeadExport> {
    let (seq, hash) = store::head(db).await?;
    Ok(HeadExport {
        seq,
        hash,
        at: now(),
    })
}

/// Writes the head to `dir/audit-head-YYYYMMDD-HHMMSS.json` (Asia/Shanghai); returns the file.
pub async fn export_head(
    db: &Db,
    dir: &std::path::Path,
) -> AppResult<(HeadExport, std::path::PathBuf)> {
    let h = head(db).await?;
    let name = format!(
        "audit-head-{}.json",
        h.at.with_timezone(&crate::util::shanghai())
            .format("%Y%m%d-%H%M%S")
    );
    let path = dir.join(name);
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&path, serde_json::to_vec_pretty(&h).expect("head")))
        .map_err(|e| AppError::invalid("out", format!("无法写入 {}：{e}", path.display())))?;
    Ok((h, path))
}

/// Every `audit-head-*.json` in a directory.
pub fn read_heads(dir: &std::path::Path) -> AppResult<Vec<HeadExport>> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| AppError::invalid("heads", format!("无法读取目录 {}：{e}", dir.display())))?;
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("audit-head-") && name.ends_with(".json") {
            let h = std::fs::read(e.path())
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .ok_or_else(|| AppError::invalid("heads", format!("链头文件 {name} 无法读取")))?;
            out.push(h);
        }
    }
    out.sort_by_key(|h: &HeadExport| h.seq);
    Ok(out)
}

/// Compares exported heads with the log: each exported entry must still be there with the same hash (or be the
/// boundary of an archive with that hash). A whole log rewritten after an export cannot match it.
pub async fn check_heads(db: &Db, heads: &[HeadExport]) -> AppResult<Option<String>> {
    let (now_seq, _) = store::head(db).await?;
    let archives = store::archives(db).await?;
    for h in heads.iter().filter(|h| h.seq > 0) {
        let when = crate::util::local_time(&h.at);
        if h.seq > now_seq {
            return Ok(Some(format!(
                "{when} 导出的链头为第 {} 条，日志现只有 {now_seq} 条：审计日志被截断或重写",
                h.seq
            )));
        }
        let stored = match store::hash_at(db, h.seq).await? {
            Some(x) => Some(x),
            None => archives
                .iter()
                .find(|a| a.last_seq == h.seq)
                .map(|a| a.last_hash.clone()),
        };
        match stored {
            Some(x) if x != h.hash => {
                return Ok(Some(format!(
                    "第 {} 条的哈希与 {when} 导出的链头不一致：审计日志被重写",
                    h.seq
                )));
            }
            // an entry archived inside a file (not at its boundary) is checked by verify-archive
            _ => {}
        }
    }
    Ok(None)
}

/// The Chinese name of a record kind in the log.
pub fn entity_label(entity: &str) -> String {
    match entity {
        "user" => "用户",
        "person" => "人员",
        "household" => "家庭",
        "application" => "救助申请",
        "case" => "救助对象",
        "temporary_grant" => "临时救助",
        "payment_roll" => "发放名册",
        "standard" | "standards" => "救助标准",
        "finding" => "核对疑点",
        "grid_task" => "网格任务",
        "source_load" => "核对数据",
        "verification_run" => "核对批次",
        "staff" => "工作人员",
        "list" => "列表",
        "target" => "目标",
        "organisation" => "机构或组织",
        "child_registration" => "儿童登记",
        "calendar" => "节假日",
        "areas" | "area" => "行政区划",
        "token" | "api_token" => "接口令牌",
        _ => "记录",
    }
    .to_string()
}

/// The Chinese name of a field recorded in a change.
fn field_label(key: &str) -> Option<&'static str> {
    Some(match key {
        "status" => "状态",
        "stage" => "环节",
        "due_on" => "办理期限",
        "amount" | "monthly_amount" => "金额",
        "reason" => "理由",
        "note" => "说明",
        "decision" => "结论",
        "outcome" => "结果",
        "action" => "事项",
        "category" => "类别",
        "role" => "角色",
        "area" | "area_code" => "区划",
        "name" => "姓名",
        "month" => "月份",
        "rows" | "lines" | "count" | "households" => "条数",
        "full" => "完整身份证号码",
        "on" | "on_date" => "日期",
        "from_month" | "effective_month" => "起始月份",
        "overpayment" => "多发金额",
        "level" => "等级",
        "title" => "名称",
        "filter" => "查询条件",
        "total" => "合计",
        _ => return None,
    })
}

/// A recorded value as read on the audit page: codes by their Chinese names, yes and no; `None` for what has no
/// readable form (it stays in the raw record).
fn value_text(v: &serde_json::Value) -> Option<String> {
    use minzheng_domain::assistance::workflow::{Action, Stage};
    match v {
        serde_json::Value::Null => Some("无".into()),
        serde_json::Value::Bool(b) => Some(if *b { "是" } else { "否" }.into()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) => {
            let code_like = s
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
                && s.bytes().any(|b| b.is_ascii_lowercase());
            if !code_like {
                return Some(s.clone());
            }
            let known = match s.as_str() {
                "approved" => "已批准",
                "refused" => "不予批准",
                "pending_city" => "待市局审批",
                "open" => "待办",
                "confirmed" => "属实",
                "dismissed" => "不属实",
                "confirm" => "属实",
                "dismiss" => "不属实",
                "visited" => "已走访",
                "closed" => "已办结",
                "active" => "在保",
                "phasing_out" => "渐退",
                "stopped" => "已停保",
                "stop" => "停保",
                "adjust" => "调整",
                "draft" => "草稿",
                "cash" => "资金",
                "goods" => "物质",
                "services" => "服务",
                "application" => "已转救助申请",
                "reviewed" => "已复核",
                "town" => "镇(街道)",
                "city" => "市局",
                other => {
                    if let Some(st) = Stage::from_code(other) {
                        return Some(st.label().into());
                    }
                    if let Some(a) = Action::from_code(other) {
                        return Some(a.label().into());
                    }
                    if let Some(r) = super::authz::Role::parse(other) {
                        return Some(r.label().into());
                    }
                    let cat = super::assistance::applications::category_label(other);
                    if cat != "临时救助" {
                        return Some(cat.into());
                    }
                    return None;
                }
            };
            Some(known.into())
        }
        _ => None,
    }
}

/// A readable Chinese summary of a recorded change: each known field as 名称：前 → 后 (or its value alone), the rest
/// counted (they stay in the raw record the page shows beside it).
pub fn change_summary(before: Option<&str>, after: Option<&str>) -> String {
    let parse = |s: Option<&str>| {
        s.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let (b, a) = (parse(before), parse(after));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut parts = vec![];
    let mut other = 0;
    for k in keys {
        let Some(label) = field_label(k) else {
            other += 1;
            continue;
        };
        let (old, new) = (b.get(k).and_then(value_text), a.get(k).and_then(value_text));
        match (b.get(k), old, new) {
            (Some(_), Some(o), Some(n)) if o != n => parts.push(format!("{label}：{o} → {n}")),
            (_, _, Some(n)) => parts.push(format!("{label}：{n}")),
            (_, Some(o), None) if !a.contains_key(k) => parts.push(format!("{label}：{o}")),
            _ => other += 1,
        }
    }
    if other > 0 {
        parts.push(format!("其他{other}项见原始记录"));
    }
    parts.join("；")
}

#[cfg(test)]
mod names {
    use super::*;

    /// Every event code written anywhere in `src/`: the literals in `Event::new`'s first argument and in the
    /// schedules' `event:` fields.
    fn codes_in_src() -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut files = vec![];
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let literals = |s: &str| -> Vec<String> {
            s.split('"')
                .skip(1)
                .step_by(2)
                .filter(|l| {
                    l.contains('.')
                        && l.bytes()
                            .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
                })
                .map(str::to_string)
                .collect()
        };
        let mut codes = vec![];
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for part in text.split("Event::new(").skip(1) {
                let first = part.split(',').next().unwrap_or("");
                codes.extend(literals(first));
            }
            for part in text.split("event: \"").skip(1) {
                codes.extend(literals(&format!(
                    "\"{}",
                    part.split('\n').next().unwrap_or("")
                )));
            }
        }
        codes.sort();
        codes.dedup();
        codes
    }

    #[test]
    fn every_event_code_has_a_chinese_name() {
        let codes = codes_in_src();
        // the scan itself must find what it looks for
        assert!(codes.len() > 50, "{codes:?}");
        assert!(codes.contains(&"children.expire".to_string()));
        assert!(codes.contains(&"disability.standard".to_string()));
        let missing: Vec<&String> = codes.iter().filter(|c| event_label(c).is_none()).collect();
        assert!(
            missing.is_empty(),
            "event codes without a Chinese name: {missing:?}"
        );
    }

    #[test]
    fn change_summary_reads_in_chinese() {
        assert_eq!(
            change_summary(
                Some(r#"{"stage":"submitted"}"#),
                Some(r#"{"stage":"accepted","due_on":"2020-10-20"}"#)
            ),
            "办理期限：2020-10-20；环节：已申请，待受理 → 已受理，待调查"
        );
        let s = change_summary(
            None,
            Some(r#"{"status":"confirmed","weird_key":"x","full":true}"#),
        );
        assert_eq!(s, "完整身份证号码：是；状态：属实；其他1项见原始记录");
        assert_eq!(change_summary(None, None), "");
    }
}
