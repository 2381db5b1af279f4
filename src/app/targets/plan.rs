//! A year's plan from two CSV files: the numbered items and the quantitative indicators.
//!
//! Items: `item,chapter,title,sections,text` (chapter optional). Indicators: the columns of TARGETS.md
//! `id,item,target,kind,value,unit,computed_from` plus optional `path` (`level` default, or `cumulative`) and
//! `metric` (empty = reported by the responsible section; else one of [`super::METRICS`]).
//! Every row is checked first; one bad row imports nothing. A year is imported once: the same files again
//! change nothing, different files for an imported year are refused (reports hang on the indicators).

use super::{IndicatorRow, ItemRow, METRICS};
use crate::app::audit::{self, Event};
use crate::app::authz::{Permission, Role};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use crate::storage::{Arg, now};
use minzheng_domain::targets::{Kind, Num, Path};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

pub const ITEMS_2020: &str = include_str!("../../../data/plan-2020-items.csv");
pub const INDICATORS_2020: &str = include_str!("../../../data/targets-2020.csv");

pub use minzheng_domain::import::RowError;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    pub year: i32,
    pub items: usize,
    pub indicators: usize,
    /// true when the same plan was already imported: nothing changed.
    pub unchanged: bool,
}

#[derive(Debug)]
pub struct Plan {
    pub items: Vec<ItemRow>,
    pub indicators: Vec<IndicatorRow>,
}

fn table(
    text: &str,
    file: &str,
    required: &[&str],
    errors: &mut Vec<RowError>,
) -> Vec<(usize, Vec<(String, String)>)> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let err = |row: usize, field: &str, message: String| RowError {
        file: Some(file.into()),
        row: row as u64,
        column: field.into(),
        message,
    };
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            errors.push(err(1, "", format!("无法读取表头：{e}")));
            return vec![];
        }
    };
    let missing: Vec<&&str> = required
        .iter()
        .filter(|c| !headers.iter().any(|h| h == **c))
        .collect();
    if !missing.is_empty() {
        for m in missing {
            errors.push(err(1, m, format!("缺少列 {m}")));
        }
        return vec![];
    }
    let mut rows = vec![];
    for rec in rdr.records() {
        match rec {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                if r.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                if r.len() != headers.len() {
                    errors.push(err(
                        line,
                        "",
                        format!("应有 {} 列，实有 {} 列", headers.len(), r.len()),
                    ));
                    continue;
                }
                // a NUL or another control character is never text a plan holds (PostgreSQL refuses NUL outright)
                let bad: Vec<&String> = headers
                    .iter()
                    .zip(r.iter())
                    .filter(|(_, c)| {
                        c.chars()
                            .any(|ch| ch.is_control() && !matches!(ch, '\n' | '\r' | '\t'))
                    })
                    .map(|(h, _)| h)
                    .collect();
                if !bad.is_empty() {
                    for h in bad {
                        errors.push(err(line, h, "含有不可见的控制字符".into()));
                    }
                    continue;
                }
                rows.push((
                    line,
                    headers
                        .iter()
                        .cloned()
                        .zip(r.iter().map(|c| c.trim().to_string()))
                        .collect(),
                ));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                errors.push(err(line, "", format!("CSV 格式错误：{e}")));
            }
        }
    }
    if rows.is_empty() {
        errors.push(err(2, "", "文件没有数据行".into()));
    }
    rows
}

fn get<'a>(row: &'a [(String, String)], col: &str) -> &'a str {
    row.iter()
        .find(|(h, _)| h == col)
        .map_or("", |(_, v)| v.as_str())
}

/// Parses and checks both files; every problem is reported, with its file, line and column.
pub fn parse(year: i32, items_csv: &str, indicators_csv: &str) -> Result<Plan, Vec<RowError>> {
    let mut errors = vec![];
    let item_rows = table(
        items_csv,
        "items",
        &["item", "title", "sections", "text"],
        &mut errors,
    );
    let ind_rows = table(
        indicators_csv,
        "indicators",
        &["id", "item", "target", "kind", "value", "unit"],
        &mut errors,
    );
    let mut items = vec![];
    let mut seen = HashSet::new();
    for (line, r) in &item_rows {
        let mut e = |field: &str, message: &str| {
            errors.push(RowError {
                file: Some("items".into()),
                row: *line as u64,
                column: field.into(),
                message: message.into(),
            })
        };
        let n = match get(r, "item").parse::<i32>() {
            Ok(n) if (1..=999).contains(&n) => n,
            _ => {
                e("item", "事项编号须为 1–999 的整数");
                continue;
            }
        };
        if !seen.insert(n) {
            e("item", "事项编号重复");
        }
        for (f, label) in [
            ("title", "事项标题"),
            ("sections", "责任科室"),
            ("text", "事项内容"),
        ] {
            if get(r, f).is_empty() {
                e(f, &format!("{label}不能为空"));
            }
        }
        items.push(ItemRow {
            year,
            item: n,
            chapter: get(r, "chapter").into(),
            title: get(r, "title").into(),
            sections: get(r, "sections").into(),
            text: get(r, "text").into(),
        });
    }
    let mut indicators = vec![];
    let mut ids = HashSet::new();
    for (sort, (line, r)) in ind_rows.iter().enumerate() {
        let mut e = |field: &str, message: String| {
            errors.push(RowError {
                file: Some("indicators".into()),
                row: *line as u64,
                column: field.into(),
                message,
            })
        };
        let id = get(r, "id");
        if id.is_empty() || id.chars().count() > 20 || id.chars().any(char::is_whitespace) {
            e("id", "指标编号不能为空、不能含空格、最多20个字符".into());
        } else if !ids.insert(id.to_string()) {
            e("id", format!("指标编号 {id} 重复"));
        }
        let item = match get(r, "item").parse::<i32>() {
            Ok(n) if seen.contains(&n) => n,
            Ok(n) => {
                e("item", format!("事项 {n} 不在事项文件中"));
                0
            }
            Err(_) => {
                e("item", "事项编号须为整数".into());
                0
            }
        };
        if get(r, "target").is_empty() {
            e("target", "指标名称不能为空".into());
        }
        let kind = Kind::parse(get(r, "kind"));
        if kind.is_none() {
            e("kind", "判定方式应为 ≥、≤、= 或 done".into());
        }
        let value = get(r, "value");
        match kind {
            Some(Kind::Done) if !value.is_empty() => e("value", "done 类指标不填目标值".into()),
            Some(Kind::Done) | None => {}
            Some(_) => {
                if let Err(m) = Num::parse(value) {
                    e("value", format!("目标值{m}"));
                }
            }
        }
        let path = Path::parse(get(r, "path"));
        match path {
            None => e("path", "进度方式应为 level 或 cumulative".into()),
            Some(Path::Cumulative) if kind == Some(Kind::Done) => {
                e("path", "done 类指标不能按累计进度判定".into())
            }
            _ => {}
        }
        let metric = get(r, "metric");
        if !metric.is_empty() {
            if !super::known_metric(metric) {
                let known: Vec<&str> = METRICS
                    .iter()
                    .chain(super::computed::line_metrics())
                    .map(|m| m.0)
                    .collect();
                e(
                    "metric",
                    format!("未知的计算方式 {metric}，可选：{}", known.join("、")),
                );
            } else if kind == Some(Kind::Done) {
                e("metric", "done 类指标只能填报".into());
            }
        }
        indicators.push(IndicatorRow {
            year,
            id: id.into(),
            item,
            sort: sort as i32 + 1,
            target: get(r, "target").into(),
            kind: kind.map_or("", Kind::code).into(),
            value: match kind {
                Some(Kind::Done) | None => String::new(),
                Some(_) => Num::parse(value).map(|v| v.display(4)).unwrap_or_default(),
            },
            unit: get(r, "unit").into(),
            computed_from: get(r, "computed_from").into(),
            path: path.unwrap_or(Path::Level).code().into(),
            metric: metric.into(),
        });
    }
    if errors.is_empty() {
        Ok(Plan { items, indicators })
    } else {
        Err(errors)
    }
}

/// A digest of the parsed plan, so the same content in another encoding of the file (BOM, CRLF, quoting) is the same plan.
fn digest(plan: &Plan) -> (String, String) {
    let mut a = Sha256::new();
    for i in &plan.items {
        a.update(
            serde_json::json!([i.item, i.chapter, i.title, i.sections, i.text])
                .to_string()
                .as_bytes(),
        );
    }
    let mut b = Sha256::new();
    for i in &plan.indicators {
        b.update(
            serde_json::json!([
                i.id,
                i.item,
                i.target,
                i.kind,
                i.value,
                i.unit,
                i.computed_from,
                i.path,
                i.metric
            ])
            .to_string()
            .as_bytes(),
        );
    }
    (hex::encode(a.finalize()), hex::encode(b.finalize()))
}

fn check_year(year: i32) -> AppResult<()> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(AppError::invalid("year", "年度须在 2000–2100 之间"))
    }
}

/// Imports a year's plan (city officers, or the command line).
pub async fn import(
    app: &App,
    ctx: &Ctx,
    year: i32,
    items_csv: &str,
    indicators_csv: &str,
) -> Result<ImportResult, (AppError, Vec<RowError>)> {
    let system = ctx.actor.user_id.is_none() && ctx.actor.username == "system";
    if !system {
        ctx.actor
            .require(Permission::ReportTargets)
            .map_err(|e| (e, vec![]))?;
        if ctx.actor.role != Role::CityOfficer {
            return Err((
                AppError::Forbidden("年度计划由市局业务科室导入".into()),
                vec![],
            ));
        }
    }
    check_year(year).map_err(|e| (e, vec![]))?;
    let plan = parse(year, items_csv, indicators_csv).map_err(|rows| {
        (
            AppError::invalid(
                "file",
                format!("计划文件有 {} 处错误，未导入任何数据", rows.len()),
            ),
            rows,
        )
    })?;
    store(app, ctx, year, &plan, &ctx.actor.username)
        .await
        .map_err(|e| (e, vec![]))
}

async fn store(app: &App, ctx: &Ctx, year: i32, plan: &Plan, by: &str) -> AppResult<ImportResult> {
    let (ha, hb) = digest(plan);
    let result = |unchanged| ImportResult {
        year,
        items: plan.items.len(),
        indicators: plan.indicators.len(),
        unchanged,
    };
    let mut tx = app.db.begin().await?;
    let existing: Option<(String, String)> = tx
        .fetch_optional(
            "SELECT items_sha256, indicators_sha256 FROM target_plans WHERE year = $1",
            args![year],
        )
        .await?;
    if let Some((a, b)) = existing {
        return if a == ha && b == hb {
            Ok(result(true))
        } else {
            Err(AppError::conflict(
                "year",
                format!("{year}年度计划已导入且内容不同；已导入的计划不能覆盖（填报记录依附于它）"),
            ))
        };
    }
    tx.execute(
        "INSERT INTO target_plans (year, items_sha256, indicators_sha256, imported_by, imported_at) VALUES ($1, $2, $3, $4, $5)",
        args![year, ha, hb, by, now()],
    )
    .await?;
    let items: Vec<Vec<Arg>> = plan
        .items
        .iter()
        .map(|i| args![year, i.item, &i.chapter, &i.title, &i.sections, &i.text])
        .collect();
    tx.insert_many(
        "target_items",
        "year, item, chapter, title, sections, text",
        items,
    )
    .await?;
    let inds: Vec<Vec<Arg>> = plan
        .indicators
        .iter()
        .map(|i| {
            args![
                year,
                &i.id,
                i.item,
                i.sort,
                &i.target,
                &i.kind,
                &i.value,
                &i.unit,
                &i.computed_from,
                &i.path,
                &i.metric
            ]
        })
        .collect();
    tx.insert_many(
        "target_indicators",
        "year, id, item, sort, target, kind, value, unit, computed_from, path, metric",
        inds,
    )
    .await?;
    // the audit entry commits with the plan
    audit::record(
        &mut tx,
        ctx,
        Event::new("targets.import", "target_plan", year.to_string()).after(
            serde_json::json!({"items": plan.items.len(), "indicators": plan.indicators.len()}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(result(false))
}

/// The 2020 plan ships with the platform: stored on a database that has none (no audit entry: nobody acted).
pub async fn seed(app: &App) -> anyhow::Result<()> {
    let n = app
        .db
        .conn()
        .scalar(
            "SELECT COUNT(*) FROM target_plans WHERE year = 2020",
            vec![],
        )
        .await?;
    if n > 0 {
        return Ok(());
    }
    let plan = parse(2020, ITEMS_2020, INDICATORS_2020)
        .map_err(|e| anyhow::anyhow!("shipped 2020 plan is invalid: {e:?}"))?;
    let ctx = Ctx::internal(
        crate::app::authz::Actor::system(&app.areas().city_code),
        "system",
    );
    match store(app, &ctx, 2020, &plan, "system").await {
        Ok(_) => Ok(()),
        // another process seeded it first
        Err(AppError::Conflict { .. }) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// The command line's import: both files read as UTF-8; every bad cell on a line of its own.
pub async fn import_files(
    app: &App,
    ctx: &Ctx,
    year: i32,
    items: &std::path::Path,
    indicators: &std::path::Path,
) -> anyhow::Result<String> {
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .map_err(|e| anyhow::anyhow!("无法读取 {}（须为 UTF-8 编码的 CSV）：{e}", p.display()))
    };
    let (a, b) = (read(items)?, read(indicators)?);
    match import(app, ctx, year, &a, &b).await {
        Ok(r) if r.unchanged => Ok(format!("{year}年度计划已导入过，内容相同，未作改动")),
        Ok(r) => Ok(format!(
            "已导入{year}年度计划：{} 个事项，{} 项指标",
            r.items, r.indicators
        )),
        Err((e, rows)) => {
            let lines: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
            if lines.is_empty() {
                anyhow::bail!("{e}")
            }
            anyhow::bail!("{e}；{}", lines.join("；"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_plan_parses() {
        let p = parse(2020, ITEMS_2020, INDICATORS_2020).unwrap();
        assert_eq!(p.items.len(), 28);
        assert_eq!(p.indicators.len(), 43);
        let t = p.indicators.iter().find(|i| i.id == "T14.2").unwrap();
        assert_eq!((t.kind.as_str(), t.value.as_str()), (">=", "8.5"));
        assert_eq!(
            p.indicators.iter().filter(|i| !i.metric.is_empty()).count(),
            26
        );
    }

    #[test]
    fn bad_rows_are_named() {
        let items = "item,title,sections,text\n1,a,b,c\n1,,b,c\n";
        let inds =
            "id,item,target,kind,value,unit\nT1,1,x,>,5,个\nT1,9,y,≥,abc,个\nT3,1,z,done,1,\n";
        let errs = parse(2021, items, inds).unwrap_err();
        let has = |file: &str, row: usize, field: &str| {
            errs.iter().any(|e| {
                e.file.as_deref() == Some(file) && e.row == row as u64 && e.column == field
            })
        };
        assert!(has("items", 3, "item"), "{errs:?}");
        assert!(has("items", 3, "title"));
        assert!(has("indicators", 2, "kind"));
        assert!(has("indicators", 3, "id"));
        assert!(has("indicators", 3, "item"));
        assert!(has("indicators", 3, "value"));
        assert!(has("indicators", 4, "value"));
    }
}
