use super::{AreaOption, Nav, render, village_options};
use crate::app::assistance::{assessment, standards};
use crate::app::authz::Permission;
use crate::app::{App, AppError, registry};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use crate::web::lines::{Line, MenuItem};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use minzheng_domain::assistance::{AssessmentResponse, Standards};
use serde_json::{Value, json};
use std::collections::HashMap;

fn who(username: &str) -> String {
    if username == "system" {
        "系统（初始标准）".into()
    } else {
        username.to_string()
    }
}

pub const LINE: Line = Line {
    code: "assistance",
    name: "社会救助",
    api: crate::web::api::assistance::routes,
    read: Permission::ReadAssistance,
    pages,
    menu: &[
        MenuItem {
            label: "社会救助概况",
            href: "/assistance",
            permission: Permission::ReadAssistance,
        },
        MenuItem {
            label: "救助自评测算",
            href: "/assistance/self-check",
            permission: Permission::ReadAssistance,
        },
        MenuItem {
            label: "救助标准",
            href: "/assistance/standards",
            permission: Permission::ReadAssistance,
        },
        MenuItem {
            label: "救助申请·待办",
            href: "/assistance/applications?mine=1",
            permission: Permission::ReadAssistance,
        },
        MenuItem {
            label: "村(居)公示",
            href: "/assistance/publicity",
            permission: Permission::ReadAssistance,
        },
        MenuItem {
            label: "超期事项",
            href: "/assistance/applications?overdue=1",
            permission: Permission::ReadAssistance,
        },
        MenuItem {
            label: "救助对象",
            href: "/assistance/cases",
            permission: Permission::ReadAssistance,
        },
        MenuItem {
            label: "动态复核",
            href: "/assistance/reviews",
            permission: Permission::ReadAssistance,
        },
        MenuItem {
            label: "临时救助",
            href: "/assistance/temporary",
            permission: Permission::ReadAssistance,
        },
        MenuItem {
            label: "救助台账",
            href: "/assistance/ledger",
            permission: Permission::ReadAssistance,
        },
        MenuItem {
            label: "发放名册",
            href: "/assistance/payments",
            permission: Permission::ReadAssistance,
        },
    ],
};

fn pages() -> Router<App> {
    use super::{applications as a, ledger, payments as p, temporary as t};
    Router::new()
        .route("/assistance", get(overview))
        .route(
            "/assistance/self-check",
            get(self_check_form).post(self_check),
        )
        .route("/assistance/standards", get(standards_list).post(propose))
        .route("/assistance/standards/{id}/approve", post(approve))
        .route("/assistance/applications", get(a::list))
        .route("/assistance/applications/export.xlsx", get(a::export))
        .route("/assistance/applications/accept", post(a::accept_batch))
        .route(
            "/assistance/applications/new",
            get(a::new_form).post(a::create),
        )
        .route("/assistance/applications/{id}", get(a::show))
        .route("/assistance/applications/{id}/act", post(a::act))
        .route(
            "/assistance/applications/{id}/notice",
            get(a::notice_print).post(a::notice),
        )
        .route("/assistance/applications/{id}/extend", post(a::extend))
        .route("/assistance/applications/{id}/form", get(a::approval_form))
        .route("/assistance/applications/{id}/refusal", get(a::refusal))
        .route("/assistance/publicity", get(a::publicity))
        .route("/assistance/cases", get(a::cases_list))
        .route("/assistance/cases/export.xlsx", get(a::cases_export))
        .route("/assistance/cases/{id}", get(a::case_show))
        .route("/assistance/cases/{id}/events", post(a::case_event))
        .route(
            "/assistance/cases/{id}/changes/{change}/letter",
            get(a::letter),
        )
        .route("/assistance/reviews", get(a::reviews))
        .route("/assistance/reviews/export.xlsx", get(a::reviews_export))
        .route("/assistance/ledger", get(ledger::show).post(ledger::import))
        .route("/assistance/ledger/export", get(ledger::export))
        .route("/assistance/temporary", get(t::list).post(t::create))
        .route("/assistance/temporary/export.xlsx", get(t::export))
        .route("/assistance/temporary/batches", post(t::batch))
        .route("/assistance/temporary/{id}/decision", post(t::decide))
        .route("/assistance/payments", get(p::list).post(p::generate))
        .route("/assistance/payments/{month}", get(p::show))
        .route("/assistance/payments/{month}/approve", post(p::approve))
        .route("/assistance/payments/{month}/export", get(p::export))
        .route(
            "/assistance/payments/{month}/export.xlsx",
            get(p::lines_export),
        )
        .route("/assistance/payments/{month}/returns", post(p::returns))
}

pub const MEMBER_ROWS: usize = 6;

#[derive(Default)]
pub struct MemberForm {
    pub i: usize,
    /// The registry member's name and masked number (intake only).
    pub label: String,
    pub id_number: String,
    pub relation: String,
    pub status: String,
    pub employed: bool,
    pub disability_kind: String,
    pub disability_grade: String,
    pub serious_illness: bool,
    pub self_care_unmet: String,
    pub supporter: bool,
    pub public_payroll: bool,
    pub wage: String,
    pub business: String,
    pub property: String,
    pub transfer: String,
    pub basic_pension: String,
    pub excluded: String,
}

#[derive(Default)]
pub struct AssetsForm {
    pub financial: String,
    pub cars: String,
    pub trucks: String,
    pub motorcycles: String,
    pub mobility: String,
    pub farm: String,
    pub residential: String,
    pub commercial: String,
    pub enterprise: String,
    pub rigid: String,
}

pub struct ResultRow {
    pub category: String,
    pub eligible: bool,
    pub amount: String,
    pub covered: String,
    pub reasons: String,
}

pub struct ResultView {
    pub members_counted: u32,
    pub per_capita: String,
    pub dibao: String,
    pub tekun: String,
    pub best: String,
    pub rows: Vec<ResultRow>,
}

#[derive(Template)]
#[template(path = "selfcheck.html")]
struct SelfCheckPage {
    nav: Nav,
    as_of: String,
    area_code: String,
    village_options: Vec<AreaOption>,
    members: Vec<MemberForm>,
    assets: AssetsForm,
    relations: Vec<(&'static str, &'static str)>,
    member_statuses: Vec<(&'static str, &'static str)>,
    disability_kinds: Vec<(&'static str, &'static str)>,
    result: Option<ResultView>,
    error: Option<String>,
}

pub const MEMBER_STATUSES: [(&str, &str); 5] = [
    ("normal", "正常"),
    ("prison", "服刑"),
    ("drug_rehab", "强制隔离戒毒"),
    ("missing", "宣告失踪"),
    ("religious_away", "宗教教职人员离家3年以上"),
];
pub const DISABILITY_KINDS: [(&str, &str); 8] = [
    ("", "无残疾"),
    ("limb", "肢体"),
    ("visual", "视力"),
    ("hearing", "听力"),
    ("speech", "言语"),
    ("intellectual", "智力"),
    ("mental", "精神"),
    ("multiple", "多重"),
];

pub fn blank_members() -> Vec<MemberForm> {
    (0..MEMBER_ROWS)
        .map(|i| MemberForm {
            i,
            relation: if i == 0 {
                "self".into()
            } else {
                "spouse".into()
            },
            status: "normal".into(),
            disability_grade: "1".into(),
            self_care_unmet: "0".into(),
            supporter: i == 0,
            wage: "0".into(),
            business: "0".into(),
            property: "0".into(),
            transfer: "0".into(),
            basic_pension: "0".into(),
            excluded: "0".into(),
            ..Default::default()
        })
        .collect()
}

pub fn blank_assets() -> AssetsForm {
    AssetsForm {
        financial: "0".into(),
        cars: "0".into(),
        trucks: "0".into(),
        motorcycles: "0".into(),
        mobility: "0".into(),
        farm: "0".into(),
        residential: "1".into(),
        commercial: "0".into(),
        enterprise: "0".into(),
        rigid: "0".into(),
    }
}

/// What the officer typed, shown again with the result or the error.
pub struct FormState {
    pub as_of: String,
    pub area: String,
    pub members: Vec<MemberForm>,
    pub assets: AssetsForm,
}

fn page(
    app: &App,
    p: &PageCtx,
    f: FormState,
    result: Option<ResultView>,
    error: Option<String>,
) -> Result<Response, PageError> {
    render(&SelfCheckPage {
        nav: Nav::of(app, p),
        as_of: f.as_of,
        area_code: f.area,
        village_options: village_options(app, p),
        members: f.members,
        assets: f.assets,
        relations: registry::RELATIONS.to_vec(),
        member_statuses: MEMBER_STATUSES.to_vec(),
        disability_kinds: DISABILITY_KINDS.to_vec(),
        result,
        error,
    })
}

pub async fn self_check_form(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    page(
        &app,
        &p,
        FormState {
            as_of: app.today().to_string(),
            area: String::new(),
            members: blank_members(),
            assets: blank_assets(),
        },
        None,
        None,
    )
}

/// Turns the form into the assessment API's request, so the page and the API share one code path.
/// The assessment API's `household` object from the form (the area is added by the caller).
pub fn household_json(members: &[MemberForm], assets: &AssetsForm) -> Value {
    let count = |s: &str| s.trim().parse::<usize>().unwrap_or(0);
    let num = |s: &str| -> Value {
        let t = s.trim();
        if t.is_empty() { json!("0") } else { json!(t) }
    };
    let mut vehicles = vec![];
    for (kind, n) in [
        ("car", &assets.cars),
        ("truck", &assets.trucks),
        ("motorcycle", &assets.motorcycles),
        ("mobility", &assets.mobility),
        ("farm", &assets.farm),
    ] {
        for _ in 0..count(n).min(20) {
            vehicles.push(json!({"kind": kind}));
        }
    }
    let ms: Vec<Value> = members
        .iter()
        .filter(|m| !m.id_number.trim().is_empty())
        .map(|m| {
            json!({
                "id_number": m.id_number.trim(),
                "relation": m.relation,
                "status": m.status,
                "employed": m.employed,
                "disability": if m.disability_kind.is_empty() { Value::Null } else { json!({"kind": m.disability_kind, "grade": m.disability_grade.parse::<i64>().unwrap_or(0)}) },
                "serious_illness": m.serious_illness,
                "self_care_unmet": m.self_care_unmet.trim().parse::<i64>().unwrap_or(-1),
                "has_capable_supporter": m.supporter,
                "public_payroll": m.public_payroll,
                "monthly_income": {"wage": num(&m.wage), "business": num(&m.business), "property": num(&m.property), "transfer": num(&m.transfer), "basic_pension": num(&m.basic_pension), "excluded": num(&m.excluded)}
            })
        })
        .collect();
    json!({
        "members": ms,
        "assets": {
            "financial": num(&assets.financial),
            "vehicles": vehicles,
            "residential_properties": count(&assets.residential),
            "commercial_properties": count(&assets.commercial),
            "enterprise_roles": count(&assets.enterprise)
        },
        "annual_rigid_expenditure": num(&assets.rigid)
    })
}

fn request_of(f: &HashMap<String, String>, members: &[MemberForm], assets: &AssetsForm) -> Value {
    let mut household = household_json(members, assets);
    household["area_code"] = json!(f.get("area_code").cloned().unwrap_or_default());
    json!({"as_of": f.get("as_of").cloned().unwrap_or_default(), "household": household})
}

pub fn result_view(r: &AssessmentResponse) -> ResultView {
    let mut rows = vec![];
    for e in &r.eligible {
        rows.push(ResultRow {
            category: e.category.label().into(),
            eligible: true,
            amount: e.monthly_amount.to_string(),
            covered: e.members_covered.to_string(),
            reasons: String::new(),
        });
    }
    for n in &r.not_eligible {
        rows.push(ResultRow {
            category: n.category.label().into(),
            eligible: false,
            amount: "—".into(),
            covered: "—".into(),
            reasons: n
                .reasons
                .iter()
                .map(|x| x.message.clone())
                .collect::<Vec<_>>()
                .join("；"),
        });
    }
    ResultView {
        members_counted: r.members_counted,
        per_capita: r.per_capita_monthly_income.to_string(),
        dibao: r.standard.dibao.to_string(),
        tekun: r.standard.tekun_basic.to_string(),
        best: r
            .best
            .map(|c| c.label().to_string())
            .unwrap_or_else(|| "不符合任何救助类别".into()),
        rows,
    }
}

pub async fn self_check(
    State(app): State<App>,
    p: PageCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f: HashMap<String, String> = pairs.into_iter().collect();
    let (members, assets) = parse_household_form(&f);
    let k = |s: &str| f.get(s).cloned().unwrap_or_default();
    let req = request_of(&f, &members, &assets);
    let (result, error) = match assessment::run_app(&app, &p.ctx, &req).await {
        Ok(r) => (Some(result_view(&r)), None),
        Err(e @ AppError::Invalid { .. }) => (None, Some(with_field(&e))),
        Err(e) => return Err(e.into()),
    };
    page(
        &app,
        &p,
        FormState {
            as_of: k("as_of"),
            area: k("area_code"),
            members,
            assets,
        },
        result,
        error,
    )
}

/// "household.members[1].id_number" → "第2位成员 身份证号码".
/// An error of a form, with the field it names in Chinese (第1项·身份证号码); a field without a Chinese name is
/// left out rather than shown as its code.
pub fn with_field(e: &AppError) -> String {
    let label = crate::web::api::field_label_cn(e.field().unwrap_or(""));
    // 家庭·成员·第2项·身份证号码 reads 第2位成员·身份证号码 on a form
    let label = match label
        .strip_prefix("家庭·成员·第")
        .and_then(|rest| rest.split_once('项'))
    {
        Some((n, tail)) => format!("第{n}位成员{tail}"),
        None => label,
    };
    if label.is_empty() || label.chars().any(|c| c.is_ascii_alphabetic()) {
        e.to_string()
    } else {
        format!("{e}（{label}）")
    }
}

pub struct StdRow {
    pub id: String,
    pub effective_from: chrono::NaiveDate,
    pub approved: bool,
    pub dibao: String,
    pub tekun: String,
    pub care: String,
    pub low_income: String,
    pub basis: String,
    pub people: String,
}

#[derive(Template)]
#[template(path = "standards.html")]
struct StandardsPage {
    nav: Nav,
    rows: Vec<StdRow>,
    today: chrono::NaiveDate,
    current_dibao: String,
    current_tekun: String,
    can_manage: bool,
    calendar_years: String,
    message: Option<String>,
    error: Option<String>,
}

async fn standards_page(
    app: &App,
    p: &PageCtx,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let rows = standards::history(app, &p.ctx)
        .await?
        .into_iter()
        .map(|r| {
            let s: Standards = r.standards().unwrap_or_else(|_| Standards::jiangyin_2020());
            StdRow {
                id: r.id.clone(),
                effective_from: r.effective_from,
                approved: r.status == "approved",
                dibao: s.dibao.to_string(),
                tekun: s.tekun_basic.to_string(),
                care: format!(
                    "{} / {} / {}",
                    s.tekun_care.self_care,
                    s.tekun_care.partly_disabled,
                    s.tekun_care.fully_disabled
                ),
                low_income: format!("{} 倍低保标准", s.low_income_multiplier.text()),
                basis: r.basis,
                // the seeded standards were entered by the command line, shown by its Chinese name
                people: format!(
                    "{} / {}",
                    who(&r.proposed_by),
                    who(&r.approved_by.unwrap_or_else(|| "—".into()))
                ),
            }
        })
        .collect();
    let today = app.today();
    let cur = standards::in_force(app, today).await?;
    let years = crate::app::assistance::calendar::years(app).await?;
    render(&StandardsPage {
        nav: Nav::of(app, p),
        rows,
        today,
        current_dibao: cur
            .as_ref()
            .map(|s| s.dibao.to_string())
            .unwrap_or_else(|| "—".into()),
        current_tekun: cur
            .as_ref()
            .map(|s| s.tekun_basic.to_string())
            .unwrap_or_else(|| "—".into()),
        can_manage: p.ctx.actor.can(Permission::ManageStandards),
        calendar_years: years
            .iter()
            .map(|y| format!("{y}年"))
            .collect::<Vec<_>>()
            .join("、"),
        message,
        error,
    })
}

pub async fn standards_list(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    standards_page(&app, &p, None, None).await
}

pub async fn propose(
    State(app): State<App>,
    p: PageCtx,
    Form(g): Form<standards::GrowthProposal>,
) -> Result<Response, PageError> {
    match standards::propose_growth(&app, &p.ctx, g).await {
        Ok(r) => {
            standards_page(
                &app,
                &p,
                Some(format!("已提出测算方案：{}，待审批后生效", r.basis)),
                None,
            )
            .await
        }
        Err(e @ AppError::Invalid { .. }) => {
            standards_page(&app, &p, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn approve(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    standards::approve(&app, &p.ctx, &id).await?;
    standards_page(&app, &p, Some("已审批，自生效月份起执行".into()), None).await
}

/// The member rows and assets of a household form (self-check and intake share it).
pub fn parse_household_form(f: &HashMap<String, String>) -> (Vec<MemberForm>, AssetsForm) {
    let g = |k: String| f.get(&k).cloned().unwrap_or_default();
    let members: Vec<MemberForm> = (0..MEMBER_ROWS)
        .map(|i| MemberForm {
            i,
            label: String::new(),
            id_number: g(format!("m{i}_id_number")),
            relation: g(format!("m{i}_relation")),
            status: g(format!("m{i}_status")),
            employed: f.contains_key(&format!("m{i}_employed")),
            disability_kind: g(format!("m{i}_disability_kind")),
            disability_grade: g(format!("m{i}_disability_grade")),
            serious_illness: f.contains_key(&format!("m{i}_serious_illness")),
            self_care_unmet: g(format!("m{i}_self_care_unmet")),
            supporter: f.contains_key(&format!("m{i}_supporter")),
            public_payroll: f.contains_key(&format!("m{i}_public_payroll")),
            wage: g(format!("m{i}_wage")),
            business: g(format!("m{i}_business")),
            property: g(format!("m{i}_property")),
            transfer: g(format!("m{i}_transfer")),
            basic_pension: g(format!("m{i}_basic_pension")),
            excluded: g(format!("m{i}_excluded")),
        })
        .collect();
    let k = |s: &str| f.get(s).cloned().unwrap_or_default();
    let assets = AssetsForm {
        financial: k("financial"),
        cars: k("cars"),
        trucks: k("trucks"),
        motorcycles: k("motorcycles"),
        mobility: k("mobility"),
        farm: k("farm"),
        residential: k("residential"),
        commercial: k("commercial"),
        enterprise: k("enterprise"),
        rigid: k("rigid"),
    };
    (members, assets)
}

pub struct Chart {
    pub title: String,
    pub unit: &'static str,
    pub bars: Vec<super::home::Bar>,
    pub height: i64,
}

fn chart(title: &str, unit: &'static str, rows: Vec<(String, i64)>) -> Chart {
    let bars = super::home::bars(&rows);
    Chart {
        title: title.into(),
        unit,
        height: bars.len() as i64 * 22 + 4,
        bars,
    }
}

#[derive(Template)]
#[template(path = "assistance_overview.html")]
struct OverviewPage {
    nav: Nav,
    charts: Vec<Chart>,
}

/// Caseload and spending by town, category and month, and the work waiting at each step.
pub async fn overview(State(app): State<App>, p: PageCtx) -> Result<Response, PageError> {
    let o = crate::app::assistance::overview::overview(&app, &p.ctx).await?;
    let charts = vec![
        chart(
            "各镇(街道)在保户数",
            " 户",
            o.by_town.iter().map(|t| (t.0.clone(), t.1)).collect(),
        ),
        chart(
            "各类别在保户数",
            " 户",
            o.by_category.iter().map(|c| (c.0.clone(), c.1)).collect(),
        ),
        chart(
            "各类别月救助金",
            " 元",
            o.by_category.iter().map(|c| (c.0.clone(), c.2)).collect(),
        ),
        chart("每月发放金额", " 元", o.by_month),
        chart("在办申请（按环节）", " 件", o.by_stage),
    ];
    render(&OverviewPage {
        nav: Nav::of(&app, &p),
        charts,
    })
}
