//! The audit log: append-only and hash-chained. Each entry's hash covers its content and the
//! previous entry's hash; the head row (updated in the same transaction) catches a deleted tail.

use super::authz::Permission;
use super::{AppResult, Ctx};
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

/// Walks the whole chain in order (streamed) and names the first altered, inserted or deleted entry.
pub async fn verify(db: &Db) -> AppResult<VerifyReport> {
    let (head_seq, head_hash) = store::head(db).await?;
    let mut expected = 1i64;
    let mut prev = GENESIS.to_string();
    let mut prev_prev = GENESIS.to_string();
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
        _ => return None,
    })
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
                .filter(|l| l.contains('.') && l.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'))
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
                codes.extend(literals(&format!("\"{}", part.split('\n').next().unwrap_or(""))));
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
        assert!(missing.is_empty(), "event codes without a Chinese name: {missing:?}");
    }

    #[test]
    fn change_summary_reads_in_chinese() {
        assert_eq!(
            change_summary(Some(r#"{"stage":"submitted"}"#), Some(r#"{"stage":"accepted","due_on":"2020-10-20"}"#)),
            "办理期限：2020-10-20；环节：已申请，待受理 → 已受理，待调查"
        );
        let s = change_summary(None, Some(r#"{"status":"confirmed","weird_key":"x","full":true}"#));
        assert_eq!(s, "完整身份证号码：是；状态：属实；其他1项见原始记录");
        assert_eq!(change_summary(None, None), "");
    }
}
