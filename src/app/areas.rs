//! Administrative areas (行政区划): city → towns/streets → villages/communities, keyed by NBS codes.

use super::{AppError, AppResult, Ctx};
use crate::storage::Db;
use crate::storage::areas::{self as store, AreaRow};
use std::collections::HashMap;

/// Jiangyin's 21 towns and 282 villages/communities (NBS statistical division codes), shipped with the platform.
pub const JIANGYIN_CSV: &str = include_str!("../../data/jiangyin-areas.csv");

#[derive(Debug, Clone, serde::Serialize)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: String,
    pub town_code: Option<String>,
}

/// All areas in memory: a few hundred rows per city, read on every request for names and scope.
#[derive(Debug, Default)]
pub struct AreaIndex {
    by_code: HashMap<String, Area>,
    children: HashMap<String, Vec<String>>,
    pub city_code: String,
}

impl AreaIndex {
    /// Whether every area loaded lies under `code` (a city's scope, while the database holds that city alone).
    pub fn holds_only(&self, code: &str) -> bool {
        self.by_code.keys().all(|k| k.starts_with(code))
    }

    pub async fn load(db: &Db) -> anyhow::Result<AreaIndex> {
        let rows = store::all(db).await?;
        let mut idx = AreaIndex::default();
        for r in rows {
            if r.level == "city" && idx.city_code.is_empty() {
                idx.city_code = r.code.clone();
            }
            if let Some(p) = &r.parent_code {
                idx.children
                    .entry(p.clone())
                    .or_default()
                    .push(r.code.clone());
            }
            idx.by_code.insert(
                r.code.clone(),
                Area {
                    code: r.code,
                    name: r.name,
                    parent_code: r.parent_code,
                    level: r.level,
                    town_code: r.town_code,
                },
            );
        }
        Ok(idx)
    }

    pub fn get(&self, code: &str) -> Option<&Area> {
        self.by_code.get(code)
    }

    /// Every area, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = &Area> {
        self.by_code.values()
    }

    pub fn name(&self, code: &str) -> String {
        self.get(code)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| code.to_string())
    }

    /// "澄江街道 / 澄江第3社区" for a village, the name alone for a town.
    pub fn full_name(&self, code: &str) -> String {
        match self.get(code) {
            Some(a) if a.level == "village" => {
                format!(
                    "{} {}",
                    self.name(a.parent_code.as_deref().unwrap_or("")),
                    a.name
                )
            }
            Some(a) => a.name.clone(),
            None => code.to_string(),
        }
    }

    pub fn children(&self, code: &str) -> Vec<&Area> {
        self.children
            .get(code)
            .map(|v| v.iter().filter_map(|c| self.get(c)).collect())
            .unwrap_or_default()
    }

    pub fn towns(&self) -> Vec<&Area> {
        self.children(&self.city_code)
    }

    pub fn villages(&self) -> impl Iterator<Item = &Area> {
        self.by_code.values().filter(|a| a.level == "village")
    }
}

/// Children of `parent` that the user may see: inside its scope, or on the path down to it.
pub fn children_for(app: &super::App, ctx: &Ctx, parent: Option<&str>) -> AppResult<Vec<Area>> {
    let idx = app.areas();
    let parent = parent.unwrap_or(&idx.city_code).to_string();
    if idx.get(&parent).is_none() {
        return Err(AppError::NotFound("行政区划".into()));
    }
    let me = &ctx.actor.area_code;
    if !(parent.starts_with(me.as_str()) || me.starts_with(parent.as_str())) {
        return Err(AppError::NotFound("行政区划".into()));
    }
    Ok(idx
        .children(&parent)
        .into_iter()
        .filter(|a| a.code.starts_with(me.as_str()) || me.starts_with(a.code.as_str()))
        .cloned()
        .collect())
}

/// Areas in the user's scope, for dropdowns: its own area and everything below it.
pub fn options_for(app: &super::App, ctx: &Ctx) -> Vec<Area> {
    let idx = app.areas();
    let mut out = Vec::new();
    let mut stack = vec![ctx.actor.area_code.clone()];
    while let Some(code) = stack.pop() {
        if let Some(a) = idx.get(&code) {
            out.push(a.clone());
            let mut kids: Vec<String> =
                idx.children(&code).iter().map(|a| a.code.clone()).collect();
            kids.reverse();
            stack.extend(kids);
        }
    }
    out
}

pub use minzheng_domain::import::RowError;

/// Parses an area CSV (code,name,parent_code,level) and checks every row before anything is written.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<AreaRow>, Vec<RowError>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let headers = rdr
        .headers()
        .map(|h| h.iter().map(str::to_string).collect::<Vec<_>>())
        .unwrap_or_default();
    let want = ["code", "name", "parent_code", "level"];
    if headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}'))
        .collect::<Vec<_>>()
        != want
    {
        return Err(vec![RowError {
            file: None,
            row: 1,
            column: "表头".into(),
            message: "表头应为 code,name,parent_code,level".into(),
        }]);
    }
    let mut seen: HashMap<String, (String, String)> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    file: None,
                    row: line as u64,
                    column: "整行".into(),
                    message: format!("无法读取: {e}"),
                });
                continue;
            }
        };
        let code = rec.get(0).unwrap_or("").trim().to_string();
        let name = rec.get(1).unwrap_or("").trim().to_string();
        let parent = rec.get(2).unwrap_or("").trim().to_string();
        let level = rec.get(3).unwrap_or("").trim().to_string();
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(RowError {
                file: None,
                row: line as u64,
                column: "code".into(),
                message: "区划代码必须是数字".into(),
            });
            continue;
        }
        if name.is_empty() {
            errors.push(RowError {
                file: None,
                row: line as u64,
                column: "name".into(),
                message: "名称不能为空".into(),
            });
        }
        if !matches!(level.as_str(), "city" | "town" | "village") {
            errors.push(RowError {
                file: None,
                row: line as u64,
                column: "level".into(),
                message: "级别应为 city、town 或 village".into(),
            });
        }
        if level != "city" && !code.starts_with(&parent) {
            errors.push(RowError {
                file: None,
                row: line as u64,
                column: "parent_code".into(),
                message: "上级代码必须是本代码的前缀".into(),
            });
        }
        if seen
            .insert(code.clone(), (parent.clone(), level.clone()))
            .is_some()
        {
            errors.push(RowError {
                file: None,
                row: line as u64,
                column: "code".into(),
                message: format!("区划代码 {code} 重复"),
            });
        }
        rows.push((
            line,
            AreaRow {
                code,
                name,
                parent_code: Some(parent).filter(|p| !p.is_empty()),
                level,
                town_code: None,
                sort: line as i32,
            },
        ));
    }
    // Parents must exist at the right level, and villages hang under towns.
    for (line, r) in &rows {
        let want_parent = match r.level.as_str() {
            "town" => "city",
            "village" => "town",
            _ => continue,
        };
        match r.parent_code.as_ref().and_then(|p| seen.get(p)) {
            Some((_, lvl)) if lvl == want_parent => {}
            _ => errors.push(RowError {
                file: None,
                row: *line as u64,
                column: "parent_code".into(),
                message: "上级区划不存在或级别不对".into(),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(rows
        .into_iter()
        .map(|(_, mut r)| {
            r.town_code = match r.level.as_str() {
                "town" => Some(r.code.clone()),
                "village" => r.parent_code.clone(),
                _ => None,
            };
            r
        })
        .collect())
}

/// Imports (or updates) areas from CSV, all or nothing, audited in the same transaction (`source` names the file).
pub async fn import_csv(db: &Db, ctx: &Ctx, bytes: &[u8], source: &str) -> anyhow::Result<usize> {
    let rows = parse_csv(bytes).map_err(|errs| {
        anyhow::anyhow!(
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let mut tx = db.begin().await?;
    for r in &rows {
        store::upsert(&mut tx, r).await?;
    }
    crate::app::audit::record(
        &mut tx,
        ctx,
        crate::app::audit::Event::new("areas.import", "area", source)
            .after(serde_json::json!({"rows": rows.len()})),
    )
    .await?;
    tx.commit().await?;
    db.analyze(&["areas"]).await?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_csv_is_complete() {
        let rows = parse_csv(JIANGYIN_CSV.as_bytes()).unwrap();
        assert_eq!(rows.iter().filter(|r| r.level == "city").count(), 1);
        assert_eq!(rows.iter().filter(|r| r.level == "town").count(), 21);
        assert_eq!(rows.iter().filter(|r| r.level == "village").count(), 282);
    }

    #[test]
    fn bad_rows_are_all_reported() {
        let csv = "code,name,parent_code,level\n320281,江阴市,3202,city\n320281001,,320281,town\n32028x,坏,320281,town\n320281999001,孤村,320281999,village\n";
        let errs = parse_csv(csv.as_bytes()).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs.iter().any(|e| e.row == 3 && e.column == "name"));
        assert!(errs.iter().any(|e| e.row == 4 && e.column == "code"));
        assert!(errs.iter().any(|e| e.row == 5 && e.column == "parent_code"));
    }
}
