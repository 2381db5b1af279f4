//! The plan's targets (DOMAIN.md §6): a year's items and indicators, indicators computed from the platform's
//! records where it holds them and reported with evidence where it does not, and a status per indicator by the
//! rule in `minzheng_domain::targets`.

pub mod computed;
pub mod export;
pub mod plan;
pub mod reports;

use crate::app::authz::Permission;
use crate::app::verification::{self, PrecisionRate};
use crate::app::{App, AppError, AppResult, Ctx};
use crate::args;
use chrono::NaiveDate;
use computed::{HouseholdIncome, IncomeFloor, months_to};
use minzheng_domain::targets::{Kind, Num, Path, Status, judged_month, judged_on, status};

/// Indicators the platform computes: code and what it is computed from.
pub const METRICS: [(&str, &str); 4] = [
    (
        "assistance.dibao_standard",
        "在用救助标准中的低保标准（元/人/月）",
    ),
    (
        "assistance.tekun_standard",
        "在用救助标准中的特困人员基本生活标准（元/人/月）",
    ),
    (
        "assistance.income_floor",
        "居民信息库全部家庭（不论是否在保）中人均年收入最低者：(家庭成员月收入合计 + 判定月份在发的救助金) × 12 ÷ 在册人口；低于目标值的家庭即漏保线索。收入取居民信息库现有登记，救助金取当月有效的决定或变更",
    ),
    (
        "verification.precision_rate",
        "本年度最近一次完整核对中，没有错保疑点（待核实或经核实属实）的在保对象 ÷ 全部在保对象",
    ),
];

pub fn metric_label(code: &str) -> &'static str {
    METRICS
        .iter()
        .chain(computed::line_metrics())
        .find(|m| m.0 == code)
        .map_or("", |m| m.1)
}

/// Whether a plan may name `code` as an indicator's metric.
pub fn known_metric(code: &str) -> bool {
    METRICS
        .iter()
        .chain(computed::line_metrics())
        .any(|m| m.0 == code)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ItemRow {
    pub year: i32,
    pub item: i32,
    pub chapter: String,
    pub title: String,
    pub sections: String,
    pub text: String,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct IndicatorRow {
    pub year: i32,
    pub id: String,
    pub item: i32,
    pub sort: i32,
    pub target: String,
    /// >=, <=, = or done
    pub kind: String,
    pub value: String,
    pub unit: String,
    pub computed_from: String,
    /// level or cumulative
    pub path: String,
    /// empty: reported
    pub metric: String,
}

const IND_COLS: &str =
    "year, id, item, sort, target, kind, value, unit, computed_from, path, metric";

/// One indicator as the API returns it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct IndicatorView {
    pub id: String,
    pub item: i32,
    pub target: String,
    /// ">=", "<=", "=" or "done"
    pub kind: String,
    pub value: String,
    pub unit: String,
    /// The figure now (a decimal string; 1/0 for a milestone), null when there is none.
    pub current: Option<String>,
    /// done, on_track, at_risk, missed or no_data
    pub status: String,
    /// computed or reported
    pub source: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TargetsView {
    pub year: i32,
    pub indicators: Vec<IndicatorView>,
}

/// An indicator judged on a day.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub row: IndicatorRow,
    pub kind: Kind,
    pub path: Path,
    pub value: Option<Num>,
    pub current: Option<Num>,
    /// Where the figure comes from: the date and source of the current value.
    pub note: String,
    pub status: Status,
}

impl Evaluated {
    pub fn computed(&self) -> bool {
        !self.row.metric.is_empty()
    }
    pub fn current_text(&self) -> Option<String> {
        self.current.map(|c| match self.kind {
            Kind::Done => c.display(0),
            _ => c.display(2),
        })
    }
    pub fn view(&self) -> IndicatorView {
        IndicatorView {
            id: self.row.id.clone(),
            item: self.row.item,
            target: self.row.target.clone(),
            kind: self.kind.code().into(),
            value: self.row.value.clone(),
            unit: self.row.unit.clone(),
            current: self.current_text(),
            status: self.status.code().into(),
            source: if self.computed() {
                "computed"
            } else {
                "reported"
            }
            .into(),
        }
    }
    /// Current as a share of the value in basis points (for progress bars); 0 without both.
    pub fn progress_bp(&self) -> i64 {
        match (self.current, self.value) {
            (Some(c), Some(v)) => c.basis_points_of(v),
            (Some(c), None) if c >= Num::int(1) => 10_000,
            _ => 0,
        }
    }
}

/// A town's row of a breakdown.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TownFigure {
    pub town_code: String,
    pub town_name: String,
    /// Households (T08.3) or recipients checked (T10.1).
    pub count: i64,
    /// Households below the target (T08.3) or recipients found eligible (T10.1).
    pub other: i64,
    pub figure: Option<String>,
    #[serde(skip)]
    pub figure_num: Option<Num>,
}

/// Everything the dashboard shows for a year, within the caller's scope.
pub struct Dashboard {
    pub year: i32,
    pub judged_on: NaiveDate,
    pub items: Vec<ItemRow>,
    pub indicators: Vec<Evaluated>,
    pub income_by_town: Vec<TownFigure>,
    pub precision_by_town: Vec<TownFigure>,
    /// Progress by month: (month, indicators met at the month's end) from January to the judging month.
    pub monthly_done: Vec<(String, usize)>,
}

impl Dashboard {
    pub fn count(&self, s: Status) -> usize {
        self.indicators.iter().filter(|i| i.status == s).count()
    }
}

/// Years with a plan, newest first.
pub async fn years(app: &App, ctx: &Ctx) -> AppResult<Vec<i32>> {
    ctx.actor.require(Permission::ReadTargets)?;
    let v: Vec<(i32,)> = app
        .db
        .conn()
        .fetch_all("SELECT year FROM target_plans ORDER BY year DESC", vec![])
        .await?;
    Ok(v.into_iter().map(|y| y.0).collect())
}

/// The year to show when none is asked for: this year if it has a plan, else the latest plan.
pub async fn default_year(app: &App, ctx: &Ctx) -> AppResult<i32> {
    use chrono::Datelike;
    let ys = years(app, ctx).await?;
    let now = app.today().year();
    Ok(if ys.contains(&now) {
        now
    } else {
        ys.first().copied().unwrap_or(now)
    })
}

pub(crate) async fn indicator_row(app: &App, year: i32, id: &str) -> AppResult<IndicatorRow> {
    app.db
        .conn()
        .fetch_optional(
            &format!("SELECT {IND_COLS} FROM target_indicators WHERE year = $1 AND id = $2"),
            args![year, id],
        )
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{year}年度指标 {id}")))
}

async fn plan_rows(app: &App, year: i32) -> AppResult<(Vec<ItemRow>, Vec<IndicatorRow>)> {
    let mut c = app.db.conn();
    let items: Vec<ItemRow> = c
        .fetch_all(
            "SELECT year, item, chapter, title, sections, text FROM target_items WHERE year = $1 ORDER BY item",
            args![year],
        )
        .await?;
    if items.is_empty() {
        return Err(AppError::NotFound(format!("{year}年度工作计划")));
    }
    let inds: Vec<IndicatorRow> = c
        .fetch_all(
            &format!("SELECT {IND_COLS} FROM target_indicators WHERE year = $1 ORDER BY sort"),
            args![year],
        )
        .await?;
    Ok((items, inds))
}

/// The computed figures of a year, each at most once.
struct Figures {
    /// The day figures are taken on (never after the year's end).
    on: NaiveDate,
    /// The day status is judged on: after the year's end an unmet target is missed.
    today: NaiveDate,
    month: String,
    dibao: Option<Num>,
    tekun: Option<Num>,
    households: Option<IncomeFloor>,
    precision: Option<Option<PrecisionRate>>,
    /// The welfare lines' figures asked for (computed::LINE_METRICS).
    lines: std::collections::HashMap<String, (Option<Num>, String)>,
}

/// T08.3's line: the indicator's value, 12,000 yuan a year if it has none.
fn income_line(value: &str) -> Num {
    Num::parse(value).unwrap_or(Num::int(12_000))
}

impl Figures {
    async fn load(
        app: &App,
        ctx: &Ctx,
        year: i32,
        metrics: &[&str],
        line: Num,
        all_households: bool,
    ) -> AppResult<Figures> {
        let on = judged_on(year, app.today());
        let month = judged_month(year, app.today());
        let s = if metrics
            .iter()
            .any(|m| m.starts_with("assistance.") && m.ends_with("_standard"))
        {
            crate::app::assistance::standards::in_force(app, on).await?
        } else {
            None
        };
        let households = if metrics.contains(&"assistance.income_floor") {
            Some(computed::income_floor(app, ctx, &month, line, all_households).await?)
        } else {
            None
        };
        let precision = if metrics.contains(&"verification.precision_rate") {
            Some(verification::precision_rate_of_year(app, ctx, year, on).await?)
        } else {
            None
        };
        let mut lines = std::collections::HashMap::new();
        for m in metrics {
            if computed::line_metrics().any(|l| l.0 == *m) && !lines.contains_key(*m) {
                lines.insert(m.to_string(), computed::line_metric(app, ctx, m, on).await?);
            }
        }
        Ok(Figures {
            lines,
            dibao: s.as_ref().map(|s| Num::yuan(s.dibao)),
            tekun: s.as_ref().map(|s| Num::yuan(s.tekun_basic)),
            on,
            today: app.today(),
            month,
            households,
            precision,
        })
    }

    fn get(&self, metric: &str) -> (Option<Num>, String) {
        match metric {
            "assistance.dibao_standard" => (self.dibao, format!("{} 在用标准", self.on)),
            "assistance.tekun_standard" => (self.tekun, format!("{} 在用标准", self.on)),
            "assistance.income_floor" => {
                let f = self.households.clone().unwrap_or_default();
                (
                    f.floor,
                    format!(
                        "{} 居民信息库 {} 户中的最低值，低于目标 {} 户",
                        self.month, f.households, f.below
                    ),
                )
            }
            "verification.precision_rate" => match self.precision.as_ref().and_then(|p| p.as_ref())
            {
                Some(p) => (
                    Num::percent(p.eligible, p.recipients),
                    format!(
                        "最近一次核对（{}）：{} 人中 {} 人符合条件",
                        crate::util::local_time(
                            &chrono::DateTime::from_timestamp_micros(p.finished_at)
                                .unwrap_or_default()
                        ),
                        p.recipients,
                        p.eligible
                    ),
                ),
                None => (None, "尚无完整的核对结果".into()),
            },
            m => self.lines.get(m).cloned().unwrap_or_default(),
        }
    }
}

fn judge(row: IndicatorRow, current: Option<Num>, note: String, on: NaiveDate) -> Evaluated {
    let kind = Kind::parse(&row.kind).unwrap_or(Kind::AtLeast);
    let path = Path::parse(&row.path).unwrap_or(Path::Level);
    let value = Num::parse(&row.value).ok();
    let st = status(kind, path, value, current, row.year, on);
    Evaluated {
        row,
        kind,
        path,
        value,
        current,
        note,
        status: st,
    }
}

fn town_scope(ctx: &Ctx, town: &str) -> bool {
    town.starts_with(&ctx.actor.area_code) || ctx.actor.area_code.starts_with(town)
}

fn income_by_town(app: &App, ctx: &Ctx, f: &IncomeFloor) -> Vec<TownFigure> {
    let areas = app.areas();
    f.by_town
        .iter()
        .filter(|t| town_scope(ctx, &t.0))
        .map(|(t, n, below, floor)| TownFigure {
            town_name: areas.name(t),
            town_code: t.clone(),
            count: *n,
            other: *below,
            figure: floor.map(|f| f.display(2)),
            figure_num: *floor,
        })
        .collect()
}

fn precision_by_town(app: &App, ctx: &Ctx, p: Option<&PrecisionRate>) -> Vec<TownFigure> {
    let areas = app.areas();
    let mut out: Vec<TownFigure> = p
        .map(|p| p.by_town.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|(t, _, _)| town_scope(ctx, t))
        .map(|(t, n, e)| {
            let f = Num::percent(e, n);
            TownFigure {
                town_name: areas.name(&t),
                town_code: t,
                count: n,
                other: e,
                figure: f.map(|f| f.display(2)),
                figure_num: f,
            }
        })
        .collect();
    out.sort_by(|a, b| a.town_code.cmp(&b.town_code));
    out
}

/// All indicators of a year with their status, within the caller's scope.
pub async fn dashboard(app: &App, ctx: &Ctx, year: i32) -> AppResult<Dashboard> {
    ctx.actor.require(Permission::ReadTargets)?;
    let (items, inds) = plan_rows(app, year).await?;
    let metrics: Vec<&str> = inds.iter().map(|i| i.metric.as_str()).collect();
    let line = income_line(
        inds.iter()
            .find(|i| i.metric == "assistance.income_floor")
            .map_or("", |i| i.value.as_str()),
    );
    let figs = Figures::load(app, ctx, year, &metrics, line, false).await?;
    let reports = reports::approved_city(app, year).await?;
    let evaluated: Vec<Evaluated> = inds
        .into_iter()
        .map(|row| {
            let (cur, note) = if row.metric.is_empty() {
                match reports.iter().rfind(|r| r.indicator_id == row.id) {
                    Some(r) => (
                        Num::parse(&r.value).ok(),
                        format!(
                            "{} {} 填报，{} 审核",
                            r.as_of,
                            r.reporter_name,
                            r.decided_by.as_deref().unwrap_or("")
                        ),
                    ),
                    None => (None, "尚无审核通过的填报".into()),
                }
            } else {
                figs.get(&row.metric)
            };
            judge(row, cur, note, figs.today)
        })
        .collect();
    let monthly_done = monthly_done(app, ctx, year, &evaluated, &figs, &reports).await?;
    Ok(Dashboard {
        monthly_done,
        year,
        judged_on: figs.on,
        items,
        income_by_town: figs
            .households
            .as_ref()
            .map(|f| income_by_town(app, ctx, f))
            .unwrap_or_default(),
        precision_by_town: precision_by_town(
            app,
            ctx,
            figs.precision.as_ref().and_then(|p| p.as_ref()),
        ),
        indicators: evaluated,
    })
}

/// How many indicators were met at the end of each month of the year, judged as on that day with what the platform
/// knew by then: the standards in force, the households in payment, the year's latest run, the reports dated by then.
async fn monthly_done(
    app: &App,
    ctx: &Ctx,
    year: i32,
    evaluated: &[Evaluated],
    figs: &Figures,
    reports: &[reports::ReportRow],
) -> AppResult<Vec<(String, usize)>> {
    let months = months_to(year, &figs.month);
    let has = |m: &str| evaluated.iter().any(|e| e.row.metric == m);
    let dibao = if has("assistance.dibao_standard") {
        computed::standard_series(app, &months, |s| s.dibao).await?
    } else {
        vec![]
    };
    let tekun = if has("assistance.tekun_standard") {
        computed::standard_series(app, &months, |s| s.tekun_basic).await?
    } else {
        vec![]
    };
    let mut out = Vec::with_capacity(months.len());
    for (i, m) in months.iter().enumerate() {
        let end = computed::month_end(m).min(figs.on);
        let precision = if has("verification.precision_rate") {
            verification::precision_rate_of_year(app, ctx, year, end).await?
        } else {
            None
        };
        let done = evaluated
            .iter()
            .filter(|e| {
                let cur = match e.row.metric.as_str() {
                    "" => reports
                        .iter()
                        .rfind(|r| r.indicator_id == e.row.id && r.as_of <= end)
                        .and_then(|r| Num::parse(&r.value).ok()),
                    "assistance.dibao_standard" => dibao.get(i).and_then(|x| x.1),
                    "assistance.tekun_standard" => tekun.get(i).and_then(|x| x.1),
                    // registry incomes have no history: the figure is known for the judging month only
                    "assistance.income_floor" if *m == figs.month => {
                        figs.households.as_ref().and_then(|f| f.floor)
                    }
                    "verification.precision_rate" => precision
                        .as_ref()
                        .and_then(|p| Num::percent(p.eligible, p.recipients)),
                    // the lines' registers keep their present state (beds, open hazards), not its history: their
                    // figures are known for the judging month only, as the registry's incomes are
                    metric if *m == figs.month => figs.lines.get(metric).and_then(|l| l.0),
                    _ => None,
                };
                judge(e.row.clone(), cur, String::new(), end).status == Status::Done
            })
            .count();
        out.push((m.clone(), done));
    }
    Ok(out)
}

/// The API view of a year.
pub async fn list(app: &App, ctx: &Ctx, year: i32) -> AppResult<TargetsView> {
    let d = dashboard(app, ctx, year).await?;
    Ok(TargetsView {
        year,
        indicators: d.indicators.iter().map(Evaluated::view).collect(),
    })
}

/// One indicator with what lies behind it.
pub struct Detail {
    pub year: i32,
    pub judged_on: NaiveDate,
    pub item: ItemRow,
    pub indicator: Evaluated,
    pub metric_label: &'static str,
    /// Month by month where there is history (the figure at each month's end).
    pub series: Vec<(String, Option<Num>)>,
    pub by_town: Vec<TownFigure>,
    /// T08.3: the households behind the figure, lowest first (those below the target, or all), at most
    /// [`computed::LIST_LIMIT`].
    pub households: Vec<HouseholdIncome>,
    /// T08.3: registry households counted, and those below the target.
    pub households_total: i64,
    pub households_below: i64,
    /// T10.1: the verification run behind the figure (its findings are the records).
    pub verification_run: Option<String>,
    /// The elderly line's figures: the page listing the records behind the figure.
    pub records: Option<&'static str>,
    /// Whether `by_town` holds shares (part of a whole) rather than counts.
    pub by_town_share: bool,
    pub reports: Vec<reports::ReportWithEvidence>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SeriesPoint {
    pub month: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DetailView {
    pub year: i32,
    pub indicator: IndicatorView,
    /// How the figure is obtained.
    pub definition: String,
    pub note: String,
    pub series: Vec<SeriesPoint>,
    pub by_town: Vec<TownFigure>,
    /// T08.3: the households below the target (漏保 leads; all on request), lowest first, at most 1,000.
    pub households: Vec<HouseholdIncome>,
    /// T08.3: registry households counted.
    pub households_total: i64,
    /// T08.3: registry households below the target.
    pub households_below: i64,
    /// T10.1: the verification run whose findings are behind the figure.
    pub verification_run: Option<String>,
    /// The elderly line's figures: the page listing the records behind the figure.
    pub records: Option<String>,
    pub reports: Vec<reports::ReportWithEvidence>,
}

impl Detail {
    pub fn view(&self) -> DetailView {
        DetailView {
            year: self.year,
            indicator: self.indicator.view(),
            definition: if self.indicator.computed() {
                self.metric_label.into()
            } else {
                format!("由{}填报，附证明材料，经市局审核", self.item.sections)
            },
            note: self.indicator.note.clone(),
            series: self
                .series
                .iter()
                .map(|(m, v)| SeriesPoint {
                    month: m.clone(),
                    value: v.map(|v| v.display(2)),
                })
                .collect(),
            by_town: self.by_town.clone(),
            households: self.households.clone(),
            households_total: self.households_total,
            households_below: self.households_below,
            verification_run: self.verification_run.clone(),
            records: self.records.map(str::to_string),
            reports: self.reports.clone(),
        }
    }
}

/// An indicator's detail; `all_households` lists T08.3's households lowest first instead of only those below the
/// target.
pub async fn detail(
    app: &App,
    ctx: &Ctx,
    year: i32,
    id: &str,
    all_households: bool,
) -> AppResult<Detail> {
    ctx.actor.require(Permission::ReadTargets)?;
    let row = indicator_row(app, year, id).await?;
    let item: ItemRow = app
        .db
        .conn()
        .fetch_one(
            "SELECT year, item, chapter, title, sections, text FROM target_items WHERE year = $1 AND item = $2",
            args![year, row.item],
        )
        .await?;
    let line = income_line(&row.value);
    let figs = Figures::load(app, ctx, year, &[row.metric.as_str()], line, all_households).await?;
    let months = months_to(year, &figs.month);
    let metric = row.metric.clone();
    let mut reps = vec![];
    let (cur, note) = if metric.is_empty() {
        reps = reports::history(app, ctx, year, id).await?;
        let city = app.areas().city_code.clone();
        match reps
            .iter()
            .find(|r| r.report.status == "approved" && r.report.area_code == city)
        {
            Some(r) => (
                Num::parse(&r.report.value).ok(),
                format!(
                    "{} {} 填报，{} 审核",
                    r.report.as_of,
                    r.report.reporter_name,
                    r.report.decided_by.as_deref().unwrap_or("")
                ),
            ),
            None => (None, "尚无审核通过的填报".into()),
        }
    } else {
        figs.get(&metric)
    };
    let ev = judge(row, cur, note, figs.today);
    let mut households = vec![];
    let mut households_total = 0;
    let mut households_below = 0;
    let mut verification_run = None;
    let mut by_town = vec![];
    let mut records = None;
    let mut by_town_share = false;
    let series: Vec<(String, Option<Num>)> = match metric.as_str() {
        "assistance.dibao_standard" => computed::standard_series(app, &months, |s| s.dibao).await?,
        "assistance.tekun_standard" => {
            computed::standard_series(app, &months, |s| s.tekun_basic).await?
        }
        "assistance.income_floor" => {
            let f = figs.households.clone().unwrap_or_default();
            by_town = income_by_town(app, ctx, &f);
            households_total = f.households;
            households_below = f.below;
            households = f.listed;
            vec![(figs.month.clone(), ev.current)]
        }
        "verification.precision_rate" => {
            let p = figs.precision.as_ref().and_then(|p| p.as_ref());
            verification_run = p.map(|p| p.run_id.clone());
            by_town = precision_by_town(app, ctx, p);
            vec![(figs.month.clone(), ev.current)]
        }
        m if m.starts_with("elderly.")
            || m.starts_with("institutions.")
            || m.starts_with("safety.") =>
        {
            let f = if m.starts_with("elderly.") {
                crate::app::elderly::metrics::figure(app, ctx, m, figs.on).await?
            } else {
                computed::line_figure(app, ctx, m, figs.on).await?
            };
            if let Some(f) = f {
                let areas = app.areas();
                by_town = f
                    .by_town
                    .iter()
                    .filter(|t| town_scope(ctx, &t.0))
                    .map(|(t, whole, part)| {
                        let n = if f.share {
                            Num::percent(*part, *whole)
                        } else {
                            Some(Num::int(*part))
                        };
                        TownFigure {
                            town_name: areas.name(t),
                            town_code: t.clone(),
                            count: *whole,
                            other: *part,
                            figure: n.map(|n| n.display(2)),
                            figure_num: n,
                        }
                    })
                    .collect();
                records = Some(f.records);
                by_town_share = f.share;
            }
            vec![(figs.month.clone(), ev.current)]
        }
        _ => {
            let approved: Vec<&reports::ReportRow> = reps
                .iter()
                .map(|r| &r.report)
                .filter(|r| r.status == "approved" && r.area_code == app.areas().city_code)
                .collect();
            if approved.is_empty() {
                vec![]
            } else {
                months
                    .iter()
                    .map(|m| {
                        let end = computed::month_end(m);
                        // reports are newest first: the first on or before the month's end
                        let v = approved
                            .iter()
                            .find(|r| r.as_of <= end)
                            .and_then(|r| Num::parse(&r.value).ok());
                        (m.clone(), v)
                    })
                    .collect()
            }
        }
    };
    Ok(Detail {
        year,
        judged_on: figs.on,
        item,
        metric_label: metric_label(&metric),
        indicator: ev,
        series,
        by_town,
        households,
        households_total,
        households_below,
        verification_run,
        records,
        by_town_share,
        reports: reps,
    })
}
