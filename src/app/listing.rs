//! One way to list records, for every list an officer works in (applications, cases, reviews, findings, tasks,
//! temporary grants, payment lines): the request's search text, filters, sort and page (`ListParams`), a list's
//! description (`ListSpec`: its tables, which columns are searched and filtered, the sort keys), the count and the
//! page in one place (`Query::page`), everything filtered for an export (`Query::all`, audited by `export_audit`),
//! and an XLSX writer whose cells are typed (`Sheet`), so 序号 and amounts are numbers and identity numbers text.

use super::audit::{self, Event};
use super::authz::Permission;
use super::{App, AppError, AppResult, Ctx};
use crate::app::registry;
use crate::storage::persons::PersonQuery;
use crate::storage::{Arg, Row};
use chrono::NaiveDate;

/// Rows on a page of every list.
pub const PAGE_SIZE: i64 = 20;
/// The page of the welfare lines' registers (institutions, children, disability grants, safety), read as long
/// tables by the officers who keep them. Every page size is here.
pub const REGISTER_PAGE_SIZE: i64 = 50;
/// The most rows one export writes (a city's whole year of applications fits).
pub const EXPORT_MAX: i64 = 100_000;

/// What a list request asks for. Every value is text so that a wrong one is answered in Chinese, naming the field,
/// and so this struct can sit beside a list's own query parameters (both read the same query string).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
pub struct ListParams {
    /// 姓名（或其中的字）、完整身份证号码或其后4位及以上
    pub q: Option<String>,
    /// 类别代码
    pub category: Option<String>,
    /// 状态或环节代码
    pub status: Option<String>,
    /// 镇(街道)或村(居)代码，限本辖区
    pub area: Option<String>,
    /// 起始日期 YYYY-MM-DD（含）
    pub from: Option<String>,
    /// 截止日期 YYYY-MM-DD（含）
    pub to: Option<String>,
    /// 排序字段
    pub sort: Option<String>,
    /// asc 或 desc
    pub dir: Option<String>,
    /// 页码，从1起
    pub page: Option<i64>,
    /// 导出时：1 表示完整身份证号码（须有查看完整个人信息权限，记入审计日志）
    pub full: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListParams {
    pub fn q(&self) -> &str {
        given(&self.q).unwrap_or("")
    }
    pub fn area(&self) -> Option<&str> {
        given(&self.area)
    }
    pub fn wants_full(&self) -> bool {
        matches!(given(&self.full), Some("1" | "true"))
    }
    /// The page asked for (1 when absent).
    pub fn page_no(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }
}

/// A choice of a filter: its code in the URL, its label on screen, and the SQL condition it stands for.
#[derive(Debug, Clone)]
pub struct Choice {
    pub code: String,
    pub label: String,
    pub cond: String,
}

impl Choice {
    /// A choice meaning `column = 'code'` (codes are the program's own constants, never the user's text).
    pub fn eq(column: &str, code: &str, label: &str) -> Choice {
        debug_assert!(code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        Choice {
            code: code.into(),
            label: label.into(),
            cond: format!("{column} = '{code}'"),
        }
    }
    pub fn when(code: &str, label: &str, cond: &str) -> Choice {
        Choice {
            code: code.into(),
            label: label.into(),
            cond: cond.into(),
        }
    }
}

/// A column the list may be sorted by.
#[derive(Debug, Clone, Copy)]
pub struct SortKey {
    pub key: &'static str,
    pub label: &'static str,
    pub sql: &'static str,
}

/// A list: where its rows come from and what may be searched, filtered and sorted.
#[derive(Debug, Clone)]
pub struct ListSpec {
    /// Its name in Chinese (sheet name, download name, audit).
    pub title: &'static str,
    /// What follows FROM.
    pub from: &'static str,
    /// Village and town columns for the area scope.
    pub area: (&'static str, &'static str),
    /// The search's condition with `{}` standing for a condition on a person aliased `p` (e.g. a join's `{}`
    /// alone, or `EXISTS (SELECT 1 FROM case_members m JOIN persons p ON … WHERE … AND {})`).
    pub person: &'static str,
    pub categories: Vec<Choice>,
    pub statuses: Vec<Choice>,
    /// The status used when none is asked for (e.g. open tasks); `all` shows everything.
    pub default_status: Option<&'static str>,
    /// The date the from/to range applies to, and its label.
    pub date: Option<(&'static str, &'static str)>,
    pub sorts: Vec<SortKey>,
    /// Sort key and descending.
    pub default_sort: (&'static str, bool),
    /// The last sort column, so that pages never overlap.
    pub tiebreak: &'static str,
}

/// A status choice meaning every status.
pub const ALL: &str = "all";

fn date_param(field: &str, label: &str, v: &Option<String>) -> AppResult<Option<NaiveDate>> {
    match given(v) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::invalid(field, format!("{label}应为日期，如 2026-01-31"))),
    }
}

/// Escapes LIKE's wildcards in a user's text (the pattern is written with `ESCAPE '\'`).
fn like_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl ListSpec {
    /// The sort in force: a known key (else the default) and its direction.
    pub fn sort_of(&self, p: &ListParams) -> (&'static str, bool) {
        match given(&p.sort).and_then(|s| self.sorts.iter().find(|k| k.key == s)) {
            Some(k) => (k.key, matches!(given(&p.dir), Some("desc"))),
            None => self.default_sort,
        }
    }

    /// The status in force ("" for every status).
    pub fn status_of<'a>(&'a self, p: &'a ListParams) -> &'a str {
        match given(&p.status) {
            Some(s) => s,
            None => self.default_status.unwrap_or(""),
        }
    }

    /// The conditions, arguments and order of a request, inside the caller's area scope.
    pub fn query(&self, app: &App, ctx: &Ctx, p: &ListParams) -> AppResult<Query> {
        let filter = registry::area_filter(app, ctx, p.area());
        let (cond, a) = filter.sql(self.area.0, self.area.1, 1);
        let mut q = Query {
            from: self.from,
            cond,
            args: a.into_iter().collect(),
            order: String::new(),
        };
        match registry::parse_query(p.q()) {
            PersonQuery::All => {}
            PersonQuery::IdNumber(n) => {
                q.and(&self.person.replace("{}", "p.id_number = $?"), n.into())
            }
            PersonQuery::IdSuffix(s) => {
                let last4 = s[s.len() - 4..].to_string();
                q.and(&self.person.replace("{}", "p.id_last4 = $?"), last4.into());
                if s.len() > 4 {
                    q.and(
                        &self.person.replace("{}", "p.id_number LIKE $?"),
                        format!("%{s}").into(),
                    );
                }
            }
            PersonQuery::NamePrefix(name) => {
                if name.chars().count() > 50 {
                    return Err(AppError::invalid("q", "查询内容过长（不超过50个字）"));
                }
                q.and(
                    &self.person.replace("{}", "p.name LIKE $? ESCAPE '\\'"),
                    format!("%{}%", like_text(&name)).into(),
                );
            }
        }
        if let Some(c) = given(&p.category) {
            let choice = self
                .categories
                .iter()
                .find(|x| x.code == c)
                .ok_or_else(|| AppError::invalid("category", "类别不正确"))?;
            q.cond = format!("{} AND {}", q.cond, choice.cond);
        }
        match self.status_of(p) {
            "" | ALL => {}
            s => {
                let choice = self
                    .statuses
                    .iter()
                    .find(|x| x.code == s)
                    .ok_or_else(|| AppError::invalid("status", "状态不正确"))?;
                q.cond = format!("{} AND {}", q.cond, choice.cond);
            }
        }
        if let Some((col, label)) = self.date {
            let from = date_param("from", &format!("{label}（起）"), &p.from)?;
            let to = date_param("to", &format!("{label}（止）"), &p.to)?;
            if let (Some(f), Some(t)) = (from, to)
                && f > t
            {
                return Err(AppError::invalid("to", "截止日期不能早于起始日期"));
            }
            if let Some(f) = from {
                q.and(&format!("{col} >= $?"), f.into());
            }
            if let Some(t) = to {
                q.and(&format!("{col} <= $?"), t.into());
            }
        }
        let (key, desc) = self.sort_of(p);
        let sql = self
            .sorts
            .iter()
            .find(|k| k.key == key)
            .map_or(key, |k| k.sql);
        let dir = if desc { "DESC" } else { "ASC" };
        q.order = format!("{sql} {dir}, {} {dir}", self.tiebreak);
        Ok(q)
    }
}

/// A request turned into SQL.
#[derive(Debug, Clone)]
pub struct Query {
    from: &'static str,
    pub cond: String,
    pub args: Vec<Arg>,
    order: String,
}

/// A page of a list with its count.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Every row the request matches.
    pub total: i64,
    /// The page shown (1-based; past `pages` it is empty).
    pub page: i64,
    /// Pages in all (at least 1, so an empty list is 第 1/1 页).
    pub pages: i64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            pages: self.pages,
        }
    }
}

pub fn pages_for(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

impl Query {
    /// Adds a condition whose `$?` is the given argument.
    pub fn and(&mut self, cond: &str, arg: Arg) {
        self.args.push(arg);
        let n = self.args.len();
        self.cond = format!("{} AND {}", self.cond, cond.replace("$?", &format!("${n}")));
    }

    /// Adds a condition without arguments.
    pub fn and_sql(&mut self, cond: &str) {
        self.cond = format!("{} AND {cond}", self.cond);
    }

    /// The count, then the page asked for of `cols`.
    pub async fn page<T: Row>(&self, app: &App, cols: &str, page: i64) -> AppResult<Page<T>> {
        let total = app
            .db
            .conn()
            .scalar(
                &format!("SELECT COUNT(*) FROM {} WHERE {}", self.from, self.cond),
                self.args.clone(),
            )
            .await?;
        let pages = pages_for(total);
        // past the last page is an empty page (an API client pages until it gets one)
        let page = page.max(1);
        let items = self
            .rows(app, cols, PAGE_SIZE, (page - 1) * PAGE_SIZE)
            .await?;
        Ok(Page {
            items,
            total,
            page,
            pages,
        })
    }

    /// Every row the request matches, in its order, for an export.
    pub async fn all<T: Row>(&self, app: &App, cols: &str) -> AppResult<Vec<T>> {
        let rows: Vec<T> = self.rows(app, cols, EXPORT_MAX + 1, 0).await?;
        if rows.len() as i64 > EXPORT_MAX {
            return Err(AppError::invalid(
                "q",
                format!("一次导出不超过{EXPORT_MAX}条，请缩小查询范围"),
            ));
        }
        Ok(rows)
    }

    async fn rows<T: Row>(
        &self,
        app: &App,
        cols: &str,
        limit: i64,
        offset: i64,
    ) -> AppResult<Vec<T>> {
        let mut args = self.args.clone();
        let n = args.len();
        args.push(Arg::from(limit));
        args.push(Arg::from(offset));
        Ok(app
            .db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT {cols} FROM {} WHERE {} ORDER BY {} LIMIT ${} OFFSET ${}",
                    self.from,
                    self.cond,
                    self.order,
                    n + 1,
                    n + 2
                ),
                args,
            )
            .await?)
    }
}

/// The most records one batch action takes.
pub const BATCH_MAX: usize = 500;

/// A batch names at least one record and at most `BATCH_MAX`.
pub fn batch_size(ids: &[String]) -> AppResult<()> {
    if ids.is_empty() {
        return Err(AppError::invalid("ids", "请先勾选要办理的记录"));
    }
    if ids.len() > BATCH_MAX {
        return Err(AppError::invalid(
            "ids",
            format!("一次最多办理{BATCH_MAX}条，请分批办理"),
        ));
    }
    Ok(())
}

/// One record's refusal in a batch, named by its human number (`label_col` of `table`, read in the batch's own
/// transaction) or, for a record the caller cannot see, as 第N条 is not known here: "未找到".
pub async fn item_error(
    tx: &mut crate::storage::Tx,
    table: &str,
    label_col: &str,
    id: &str,
    e: &AppError,
) -> String {
    let label: Option<(String,)> = match e {
        // outside the scope stays "not found": its number is not shown
        AppError::NotFound(_) => None,
        _ => tx
            .fetch_optional(
                &format!("SELECT {label_col} FROM {table} WHERE id = $1"),
                crate::args![id],
            )
            .await
            .ok()
            .flatten(),
    };
    match label {
        Some((l,)) => format!("{l}：{e}"),
        None => format!("所选记录之一：{e}"),
    }
}

/// A batch is all or nothing: any refused record answers every refusal, and the caller's transaction is dropped
/// (rolled back) with nothing written.
pub fn batch_outcome(errors: Vec<String>) -> AppResult<()> {
    if errors.is_empty() {
        return Ok(());
    }
    Err(AppError::invalid(
        "ids",
        format!(
            "{}条不能办理，全部未办理：{}",
            errors.len(),
            errors.join("；")
        ),
    ))
}

/// Checks an export's request for full identity numbers (a role that may see them) and writes the export to the
/// audit log: which list, the filter, how many rows, masked or full.
pub async fn export_audit(
    app: &App,
    ctx: &Ctx,
    spec: &ListSpec,
    p: &ListParams,
    rows: usize,
) -> AppResult<()> {
    if p.wants_full() {
        ctx.actor.require(Permission::RevealPersonal)?;
    }
    let mut filter = p.clone();
    filter.page = None;
    audit::record_alone(
        &app.db,
        ctx,
        Event::new("list.export", "list", spec.title).after(serde_json::json!({
            "filter": filter,
            "rows": rows,
            "full": p.wants_full(),
        })),
    )
    .await
}

/// An identity number as an export shows it: masked unless the (checked) request asked for it in full.
pub fn id_cell(full: bool, id_number: &str) -> Cell {
    Cell::Text(if full {
        id_number.to_string()
    } else {
        minzheng_domain::idnumber::mask(id_number)
    })
}

/// A cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Written as a text cell (identity numbers, account numbers, names: never a number, never a formula).
    Text(String),
    /// A whole number (序号, counts).
    Int(i64),
    /// Fen, written as a yuan number with the format 0.00.
    Yuan(i64),
    Blank,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.into())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Cell {
        s.map_or(Cell::Blank, Cell::Text)
    }
}
impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Text(d.to_string())
    }
}
impl From<Option<NaiveDate>> for Cell {
    fn from(d: Option<NaiveDate>) -> Cell {
        d.map_or(Cell::Blank, Cell::from)
    }
}

/// A worksheet: a header row and typed rows. `xlsx` puts a 序号 column (a number) in front.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    /// A 序号 column (1, 2, …) in front; off for a file whose columns are fixed by its reader (the bank's).
    pub numbered: bool,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(name: &str, header: &[&str]) -> Sheet {
        Sheet {
            name: name.into(),
            numbered: true,
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: vec![],
        }
    }

    /// The workbook, for Excel and WPS: 序号 and amounts are number cells (amounts formatted 0.00), everything else
    /// a text cell, so identity numbers keep all 18 characters and a name like `=1+2` stays data.
    pub fn xlsx(&self) -> anyhow::Result<Vec<u8>> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        // sheet names are at most 31 characters and some punctuation is refused
        let name: String = self
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        if !name.is_empty() {
            ws.set_name(&name)?;
        }
        let bold = Format::new().set_bold();
        let money = Format::new().set_num_format("0.00");
        let first = u16::from(self.numbered);
        if self.numbered {
            ws.write_string_with_format(0, 0, "序号", &bold)?;
        }
        for (c, h) in self.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16 + first, h, &bold)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            if self.numbered {
                ws.write_number(r, 0, r as f64)?;
            }
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16 + first;
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, c, *n as f64)?;
                    }
                    Cell::Yuan(f) => {
                        ws.write_number_with_format(r, c, *f as f64 / 100.0, &money)?;
                    }
                    Cell::Blank => {}
                }
            }
        }
        for c in 0..self.header.len() as u16 + first {
            ws.set_column_width(c, if c < first { 6 } else { 16 })?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(wb.save_to_buffer()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_never_zero() {
        assert_eq!(pages_for(0), 1);
        assert_eq!(pages_for(1), 1);
        assert_eq!(pages_for(PAGE_SIZE), 1);
        assert_eq!(pages_for(PAGE_SIZE + 1), 2);
    }

    #[test]
    fn like_text_escapes_wildcards() {
        assert_eq!(like_text("张_%\\"), "张\\_\\%\\\\");
    }

    #[test]
    fn page_number_starts_at_one() {
        let p = |n: i64| ListParams {
            page: Some(n),
            ..Default::default()
        };
        assert_eq!(p(3).page_no(), 3);
        assert_eq!(p(-2).page_no(), 1);
        assert_eq!(ListParams::default().page_no(), 1);
    }
}
