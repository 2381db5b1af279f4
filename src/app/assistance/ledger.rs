//! A town's existing ledger (台账) of assisted households as XLSX: import (every bad row reported, all or
//! nothing, re-import changes nothing) and export in the same layout.

use super::applications::{CATEGORIES, month_start};
use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::registry::RELATIONS;
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::persons::PersonRow;
use crate::storage::{Arg, Tx, new_id, now, placeholders};
use calamine::{Data, Reader, Xlsx};
use minzheng_domain::idnumber::IdNumber;
use minzheng_domain::money::Fen;
use std::collections::{BTreeMap, HashMap, HashSet};

pub const HEADER: [&str; 10] = [
    "户编号",
    "村(社区)代码",
    "姓名",
    "身份证号码",
    "与户主关系",
    "救助类别",
    "月救助金(元)",
    "银行账号",
    "起始月份",
    "住址",
];

pub use minzheng_domain::import::RowError;

#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    pub households: usize,
    pub persons_created: usize,
    pub cases_created: usize,
    pub cases_unchanged: usize,
}

#[derive(Debug, Clone)]
struct Row {
    line: usize,
    key: String,
    village: String,
    name: String,
    id: IdNumber,
    relation: String,
    category: String,
    amount: Fen,
    account: String,
    start: String,
    address: String,
}

fn cell(c: Option<&Data>) -> String {
    match c {
        Some(Data::String(s)) => s.trim().to_string(),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Float(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Some(Data::Float(f)) => format!("{f:.2}"),
        Some(Data::Empty) | None => String::new(),
        Some(other) => other.to_string().trim().to_string(),
    }
}

fn category_of(s: &str) -> Option<&'static str> {
    CATEGORIES
        .iter()
        .find(|(c, l)| *c == s || *l == s)
        .map(|(c, _)| *c)
        .or(match s {
            "低保" => Some("dibao"),
            "特困" => Some("tekun"),
            "低收入" | "低保边缘" => Some("low_income"),
            "支出型" | "支出型贫困" => Some("expenditure"),
            _ => None,
        })
}

fn relation_of(s: &str) -> Option<&'static str> {
    RELATIONS
        .iter()
        .find(|(c, l)| *c == s || *l == s)
        .map(|(c, _)| *c)
        .or(match s {
            "户主" | "本人" => Some("self"),
            "妻" | "夫" => Some("spouse"),
            "子" | "女" | "儿子" | "女儿" => Some("child"),
            "父亲" | "母亲" => Some("parent"),
            _ => None,
        })
}

/// Reads and checks every row; returns the rows or every problem found.
fn parse(app: &App, ctx: &Ctx, bytes: &[u8]) -> Result<Vec<Row>, Vec<RowError>> {
    let err = |row: usize, column: &str, message: String| RowError {
        file: None,
        row: row as u64,
        column: column.into(),
        message,
    };
    if let Err(m) = crate::util::check_xlsx(&mut std::io::Cursor::new(bytes)) {
        return Err(vec![err(0, "文件", m)]);
    }
    let mut wb: Xlsx<_> =
        match calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())) {
            Ok(w) => w,
            Err(e) => return Err(vec![err(0, "文件", format!("不是可读取的 XLSX 文件：{e}"))]),
        };
    let Some(Ok(range)) = wb.worksheet_range_at(0) else {
        return Err(vec![err(0, "文件", "没有工作表".into())]);
    };
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| cell(Some(c))).collect())
        .unwrap_or_default();
    if header.len() < HEADER.len() || header[..HEADER.len()] != HEADER {
        return Err(vec![err(
            1,
            "表头",
            format!("表头应为：{}", HEADER.join("、")),
        )]);
    }
    let areas = app.areas();
    let today = app.today();
    let mut out = vec![];
    let mut errors = vec![];
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    for (i, r) in rows.enumerate() {
        let line = i + 2;
        let v: Vec<String> = (0..HEADER.len()).map(|c| cell(r.get(c))).collect();
        if v.iter().all(String::is_empty) {
            continue;
        }
        let before = errors.len();
        if v[0].is_empty() {
            errors.push(err(line, HEADER[0], "户编号不能为空".into()));
        }
        match areas.get(&v[1]) {
            Some(a) if a.level == "village" && ctx.actor.in_scope(&a.code) => {}
            Some(_) => errors.push(err(
                line,
                HEADER[1],
                format!("{} 不是您管辖范围内的村(社区)", v[1]),
            )),
            None => errors.push(err(line, HEADER[1], format!("区划代码 {} 不存在", v[1]))),
        }
        if v[2].is_empty() || v[2].chars().count() > 30 {
            errors.push(err(line, HEADER[2], "姓名不能为空，且不超过30个字".into()));
        }
        let id = match IdNumber::parse(&v[3], today) {
            Ok(id) => Some(id),
            Err(e) => {
                let hint = if v[3].contains('E') || v[3].contains('e') {
                    "（请把该列设为文本格式后重新填写）"
                } else {
                    ""
                };
                errors.push(err(line, HEADER[3], format!("{e}{hint}")));
                None
            }
        };
        if let Some(id) = &id
            && let Some(first) = seen_ids.insert(id.as_str().to_string(), line)
        {
            errors.push(err(line, HEADER[3], format!("与第{first}行重复")));
        }
        let relation = relation_of(&v[4]);
        if relation.is_none() {
            errors.push(err(
                line,
                HEADER[4],
                format!("“{}”不是有效的关系（户主、配偶、子女、父母……）", v[4]),
            ));
        }
        let category = category_of(&v[5]);
        if category.is_none() {
            errors.push(err(
                line,
                HEADER[5],
                format!("“{}”不是救助类别（低保、特困、低收入、支出型）", v[5]),
            ));
        }
        let amount = Fen::parse_yuan(&v[6])
            .map_err(|e| errors.push(err(line, HEADER[6], e.to_string())))
            .ok();
        let account = v[7].replace(' ', "");
        if account.len() < 10 || account.len() > 30 || !account.bytes().all(|b| b.is_ascii_digit())
        {
            errors.push(err(line, HEADER[7], "银行账号应为10–30位数字".into()));
        }
        if month_start(&v[8]).is_none() || v[8].len() != 7 {
            errors.push(err(line, HEADER[8], "起始月份格式应为 YYYY-MM".into()));
        }
        if errors.len() == before {
            out.push(Row {
                line,
                key: v[0].clone(),
                village: v[1].clone(),
                name: v[2].clone(),
                id: id.expect("checked"),
                relation: relation.expect("checked").into(),
                category: category.expect("checked").into(),
                amount: amount.expect("checked"),
                account,
                start: v[8].clone(),
                address: v[9].clone(),
            });
        }
    }
    // Household consistency: one head, one village, one category, amount and account per 户编号.
    let mut by_key: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in &out {
        by_key.entry(&r.key).or_default().push(r);
    }
    for (key, members) in &by_key {
        let first = members[0];
        let heads = members.iter().filter(|m| m.relation == "self").count();
        if heads != 1 {
            errors.push(err(
                first.line,
                HEADER[4],
                format!("户编号 {key} 须有且只有一名户主（现有 {heads} 名）"),
            ));
        }
        for m in &members[1..] {
            for (col, same) in [
                (HEADER[1], m.village == first.village),
                (HEADER[5], m.category == first.category),
                (HEADER[6], m.amount == first.amount),
                (HEADER[7], m.account == first.account),
                (HEADER[8], m.start == first.start),
            ] {
                if !same {
                    errors.push(err(m.line, col, format!("与同户第{}行不一致", first.line)));
                }
            }
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(err(2, "文件", "没有数据行".into()));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.row);
        Err(errors)
    }
}

/// Imports a ledger: checks every row first and writes nothing unless all are good.
pub async fn import(
    app: &App,
    ctx: &Ctx,
    bytes: &[u8],
) -> Result<ImportResult, (AppError, Vec<RowError>)> {
    ctx.actor
        .require(Permission::HandleApplications)
        .map_err(|e| (e, vec![]))?;
    if ctx.actor.role != Role::TownOfficer {
        return Err((
            AppError::Forbidden("台账由镇(街道)民政办导入".into()),
            vec![],
        ));
    }
    let (a, c, b) = (app.clone(), ctx.clone(), bytes.to_vec());
    let parsed = crate::util::blocking(move || parse(&a, &c, &b))
        .await
        .map_err(|e| (e, vec![]))?;
    let rows = parsed.map_err(|errs| {
        (
            AppError::invalid(
                "file",
                format!("台账有 {} 处错误，未导入任何数据", errs.len()),
            ),
            errs,
        )
    })?;
    let town = ctx.actor.area_code.clone();
    let fail = |e: AppError| (e, vec![]);
    // Who is already in the registry (one query per 500 numbers, not one per row).
    let mut existing: HashMap<String, PersonRow> = HashMap::new();
    for chunk in rows.chunks(500) {
        let ph = placeholders(1, chunk.len());
        let found: Vec<PersonRow> = app
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT {} FROM persons WHERE id_number IN ({ph})",
                    crate::storage::persons::PERSON_COLS
                ),
                chunk.iter().map(|r| Arg::from(r.id.as_str())).collect(),
            )
            .await
            .map_err(|e| fail(e.into()))?;
        existing.extend(found.into_iter().map(|p| (p.id_number.clone(), p)));
    }
    let mut errors = vec![];
    for r in &rows {
        if let Some(p) = existing.get(r.id.as_str())
            && !ctx.actor.in_scope(&p.area_code)
        {
            errors.push(RowError {
                file: None,
                row: r.line as u64,
                column: HEADER[3].into(),
                message: "该人员已在其他镇(街道)登记，请先办理迁入".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err((
            AppError::invalid(
                "file",
                format!("台账有 {} 处错误，未导入任何数据", errors.len()),
            ),
            errors,
        ));
    }
    let keys: Vec<String> = {
        let mut k: Vec<String> = rows.iter().map(|r| format!("{town}:{}", r.key)).collect();
        k.sort();
        k.dedup();
        k
    };
    let mut known_cases: HashSet<String> = HashSet::new();
    for chunk in keys.chunks(500) {
        let found: Vec<(String,)> = app
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT ledger_key FROM cases WHERE ledger_key IN ({})",
                    placeholders(1, chunk.len())
                ),
                chunk.iter().map(|k| Arg::from(k.as_str())).collect(),
            )
            .await
            .map_err(|e| fail(e.into()))?;
        known_cases.extend(found.into_iter().map(|k| k.0));
    }
    // A ledger exported here comes back with the same people: their live cases are matched by identity number and
    // category, so re-importing an export changes nothing (and never makes a second live case).
    let mut live: HashMap<(String, String), (String, i64)> = HashMap::new();
    let mut live_households: HashMap<(String, String), (String, i64)> = HashMap::new();
    for chunk in rows.chunks(500) {
        let found: Vec<(String, String, String, i64, String)> = app
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT p.id_number, c.category, c.id, c.monthly_amount, c.household_id FROM persons p \
                     JOIN case_members cm ON cm.person_id = p.id JOIN cases c ON c.id = cm.case_id \
                     WHERE c.status IN ('active', 'phasing_out') AND p.id_number IN ({})",
                    placeholders(1, chunk.len())
                ),
                chunk.iter().map(|r| Arg::from(r.id.as_str())).collect(),
            )
            .await
            .map_err(|e| fail(e.into()))?;
        for (idn, cat, case_id, amount, hid) in found {
            live_households.insert((hid, cat.clone()), (case_id.clone(), amount));
            live.insert((idn, cat), (case_id, amount));
        }
    }
    let mut result = ImportResult::default();
    let mut by_key: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        by_key.entry(r.key.clone()).or_default().push(r);
    }
    let mut matched: HashSet<String> = HashSet::new();
    for (key, ms) in &by_key {
        if known_cases.contains(&format!("{town}:{key}")) {
            continue;
        }
        let head = ms.iter().find(|m| m.relation == "self").expect("checked");
        let by_member = ms
            .iter()
            .find_map(|m| live.get(&(m.id.as_str().to_string(), head.category.clone())));
        let by_household = existing
            .get(head.id.as_str())
            .and_then(|p| p.household_id.clone())
            .and_then(|h| live_households.get(&(h, head.category.clone())));
        if let Some((_, amount)) = by_member.or(by_household) {
            if *amount != head.amount.0 {
                errors.push(RowError {
                    file: None,
                    row: head.line as u64,
                    column: HEADER[6].into(),
                    message: format!(
                        "该户已有在保的{}，月救助金 {} 元，与台账的 {} 元不一致；金额变化请通过家庭变化或复核办理",
                        super::applications::category_label(&head.category),
                        Fen(*amount),
                        head.amount
                    ),
                });
            }
            matched.insert(key.clone());
        }
    }
    if !errors.is_empty() {
        return Err((
            AppError::invalid(
                "file",
                format!("台账有 {} 处错误，未导入任何数据", errors.len()),
            ),
            errors,
        ));
    }
    result.households = by_key.len();
    let areas = app.areas();
    let t = now();
    let today = app.today();
    let mut households = vec![];
    let mut persons: Vec<PersonRow> = vec![];
    let mut person_links: Vec<(String, String)> = vec![]; // existing person without household → household
    let mut apps = vec![];
    let mut cases = vec![];
    let mut members = vec![];
    for (key, ms) in &by_key {
        let ledger_key = format!("{town}:{key}");
        if known_cases.contains(&ledger_key) || matched.contains(key) {
            result.cases_unchanged += 1;
            continue;
        }
        let head = ms.iter().find(|m| m.relation == "self").expect("checked");
        let village = areas.get(&head.village).expect("checked").clone();
        // an existing household of the head is kept; otherwise the ledger's becomes a registry household
        let hid = existing
            .get(head.id.as_str())
            .and_then(|p| p.household_id.clone())
            .unwrap_or_else(|| {
                let id = new_id();
                households.push(args![
                    &id,
                    &village.code,
                    village.town_code.clone().unwrap_or_default(),
                    &head.address,
                    t
                ]);
                id
            });
        let mut ids = vec![];
        for m in ms {
            let pid = match existing.get(m.id.as_str()) {
                Some(p) => {
                    if p.household_id.is_none() {
                        person_links.push((p.id.clone(), hid.clone()));
                    }
                    p.id.clone()
                }
                None => {
                    let p = PersonRow {
                        id: new_id(),
                        id_number: m.id.as_str().into(),
                        id_last4: m.id.last4().into(),
                        name: m.name.clone(),
                        sex: m.id.sex().code().into(),
                        birth_date: m.id.birth_date(),
                        phone: String::new(),
                        address: m.address.clone(),
                        hukou_area_code: village.code.clone(),
                        area_code: village.code.clone(),
                        town_code: village.town_code.clone().unwrap_or_default(),
                        status: "normal".into(),
                        household_id: Some(hid.clone()),
                        relation: m.relation.clone(),
                        employed: false,
                        monthly_income: 0,
                        disability_kind: None,
                        disability_grade: None,
                        serious_illness: false,
                        lives_alone: ms.len() == 1,
                        created_at: t,
                        updated_at: t,
                    };
                    result.persons_created += 1;
                    let id = p.id.clone();
                    persons.push(p);
                    id
                }
            };
            ids.push(pid);
        }
        let head_pid = ids[ms
            .iter()
            .position(|m| m.relation == "self")
            .expect("checked")]
        .clone();
        let app_id = new_id();
        let case_id = new_id();
        let note = format!("台账导入：户编号 {key}");
        apps.push(args![
            &app_id,
            &head.category,
            &hid,
            &head_pid,
            &village.code,
            village.town_code.clone().unwrap_or_default(),
            &village.code,
            "approved",
            Option::<chrono::NaiveDate>::None,
            today,
            today,
            today,
            "{}",
            &head.account,
            false,
            false,
            false,
            false,
            false,
            Option::<chrono::NaiveDate>::None,
            Option::<String>::None,
            today,
            Option::<String>::None,
            head.amount.0,
            &ctx.actor.username,
            t,
            t,
            note
        ]);
        cases.push(args![
            &case_id,
            &app_id,
            &head.category,
            &hid,
            &village.code,
            village.town_code.clone().unwrap_or_default(),
            "active",
            head.amount.0,
            &head.start,
            &head.account,
            t,
            &ledger_key
        ]);
        for pid in ids {
            members.push(args![&case_id, pid]);
        }
        result.cases_created += 1;
    }
    let mut tx = app.db.begin().await.map_err(|e| fail(e.into()))?;
    let write = async |tx: &mut Tx| -> AppResult<()> {
        tx.insert_many(
            "households",
            "id, area_code, town_code, address, created_at",
            households,
        )
        .await?;
        let rows = persons.iter().map(PersonRow::args).collect();
        tx.insert_many("persons", crate::storage::persons::PERSON_COLS, rows)
            .await?;
        let arrivals = crate::storage::persons::residents_of(&persons);
        crate::storage::persons::add_residents(tx, &arrivals).await?;
        for (pid, hid) in &person_links {
            tx.execute(
                "UPDATE persons SET household_id = $2 WHERE id = $1 AND household_id IS NULL",
                args![pid, hid],
            )
            .await?;
        }
        tx.insert_many(
            "applications",
            "id, category, household_id, applicant_id, area_code, town_code, hukou_area_code, stage, due_on, stage_since, applied_on, authorisation_on, \
             household_json, bank_account, staff_relative, spot_check_required, visited, checked, spot_checked, publicity_started, refusal_reason, \
             decided_on, snapshot_json, monthly_amount, created_by, created_at, updated_at, origin",
            apps,
        )
        .await?;
        tx.insert_many( "cases", "id, application_id, category, household_id, area_code, town_code, status, monthly_amount, start_month, bank_account, created_at, ledger_key", cases).await?;
        tx.insert_many("case_members", "case_id, person_id", members)
            .await?;
        Ok(())
    };
    write(&mut tx).await.map_err(fail)?;
    audit::record(
        &mut tx,
        ctx,
        Event::new("ledger.import", "case", &town)
            .area(&town)
            .after(serde_json::to_value(&result).unwrap_or_default()),
    )
    .await
    .map_err(fail)?;
    tx.commit().await.map_err(|e| fail(e.into()))?;
    app.db
        .analyze(&["persons", "households", "applications", "cases"])
        .await
        .map_err(|e| fail(e.into()))?;
    Ok(result)
}

/// The current ledger (active cases in scope) as XLSX, in the import layout. Identity numbers are masked unless
/// `full`, which needs the right role and is audited; a full export imports back unchanged.
pub async fn export(app: &App, ctx: &Ctx, full: bool) -> AppResult<Vec<u8>> {
    ctx.actor.require(Permission::ReadAssistance)?;
    if full {
        ctx.actor.require(Permission::RevealPersonal)?;
    }
    let (cond, a) = ctx
        .actor
        .scope_filter()
        .sql("c.area_code", "c.town_code", 1);
    #[derive(sqlx::FromRow)]
    struct L {
        ledger_key: Option<String>,
        /// The application's 编号: a case that did not come from a ledger is known by it, never by its key (a case
        /// imported from a ledger has no application).
        number: Option<String>,
        area_code: String,
        name: String,
        id_number: String,
        relation: String,
        category: String,
        monthly_amount: i64,
        bank_account: String,
        start_month: String,
        address: String,
    }
    let rows: Vec<L> = app
        .db
        .conn()
        .fetch_all(
            &format!(
                "SELECT c.ledger_key, (SELECT a.number FROM applications a WHERE a.id = c.application_id) AS number, c.area_code, p.name, p.id_number, p.relation, c.category, c.monthly_amount, c.bank_account, c.start_month, p.address \
                 FROM cases c JOIN case_members cm ON cm.case_id = c.id JOIN persons p ON p.id = cm.person_id \
                 WHERE c.status IN ('active', 'phasing_out') AND {cond} ORDER BY c.town_code, c.area_code, c.id, p.birth_date"
            ),
            a.into_iter().collect(),
        )
        .await?;
    if full {
        audit::record_alone(
            &app.db,
            ctx,
            Event::new("ledger.export", "case", ctx.actor.area_code.clone())
                .after(serde_json::json!({"rows": rows.len(), "full": true})),
        )
        .await?;
    }
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let money = rust_xlsxwriter::Format::new().set_num_format("0.00");
    // written off the async workers: a town's ledger takes a while
    let build = move || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("救助台账")?;
        for (c, h) in HEADER.iter().enumerate() {
            ws.write_string(0, c as u16, *h)?;
        }
        for (i, r) in rows.iter().enumerate() {
            let line = i as u32 + 1;
            let key = r
                .ledger_key
                .as_deref()
                .and_then(|k| k.split_once(':').map(|(_, k)| k.to_string()))
                .or_else(|| r.number.clone())
                .unwrap_or_default();
            let label = |c: &str| {
                CATEGORIES
                    .iter()
                    .find(|(k, _)| *k == c)
                    .map(|(_, l)| *l)
                    .unwrap_or("")
            };
            let rel = RELATIONS
                .iter()
                .find(|(k, _)| *k == r.relation)
                .map(|(_, l)| *l)
                .unwrap_or("其他");
            let rel = if r.relation == "self" { "户主" } else { rel };
            let idn = if full {
                r.id_number.clone()
            } else {
                minzheng_domain::idnumber::mask(&r.id_number)
            };
            let acct = if full {
                r.bank_account.clone()
            } else {
                minzheng_domain::idnumber::mask_phone(&r.bank_account)
            };
            for (c, v) in [
                key,
                r.area_code.clone(),
                r.name.clone(),
                idn,
                rel.to_string(),
                label(&r.category).to_string(),
                String::new(),
                acct,
                r.start_month.clone(),
                r.address.clone(),
            ]
            .iter()
            .enumerate()
            {
                ws.write_string_with_format(line, c as u16, v, &text)?;
            }
            // the amount a number (yuan, 0.00), so a spreadsheet can sum it; the import reads numbers too
            ws.write_number_with_format(line, 6, r.monthly_amount as f64 / 100.0, &money)?;
        }
        ws.set_column_width(3, 22)?;
        ws.set_column_width(7, 24)?;
        wb.save_to_buffer()
    };
    crate::util::blocking(build)
        .await?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}
