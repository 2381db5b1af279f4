use super::assistance::{
    AssetsForm, DISABILITY_KINDS, MEMBER_STATUSES, MemberForm, blank_assets, household_json,
    parse_household_form,
};
use super::list::{ListView, batch_form, xlsx_download};
use super::{AreaOption, Nav, filters, render, village_options};
use crate::app::assistance::applications::{
    self, ActionInput, CATEGORIES, EventRow, ListFilter, ListItem, NewApplication,
};
use crate::app::assistance::cases::{self, CaseItem};
use crate::app::authz::Role;
use crate::app::listing::ListParams;
use crate::app::{App, AppError, registry};
use crate::web::PageError;
use crate::web::extract::PageCtx;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minzheng_domain::assistance::workflow::{Action, Stage};
use minzheng_domain::idnumber;
use minzheng_domain::money::Fen;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "applications.html")]
struct ListPage {
    nav: Nav,
    items: Vec<ListItem>,
    list: ListView,
    overdue: bool,
    mine: bool,
    overdue_by_town: Vec<(String, String, i64)>,
    /// 批量受理 is offered (the town office accepts).
    can_accept: bool,
    today: chrono::NaiveDate,
    message: Option<String>,
    errors: Vec<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    /// The former name of `status`, kept for old links.
    stage: Option<String>,
    overdue: Option<String>,
    mine: Option<String>,
    /// How many were accepted by the batch just done.
    accepted: Option<usize>,
}

const LIST_PATH: &str = "/assistance/applications";

fn list_filter(q: &ListQuery) -> ListFilter {
    ListFilter {
        overdue_only: q.overdue.as_deref().is_some_and(|v| !v.is_empty()),
        mine: q.mine.as_deref().is_some_and(|v| !v.is_empty()),
    }
}

fn list_params(q: &ListQuery, mut l: ListParams) -> ListParams {
    if l.status.is_none() {
        l.status = q.stage.clone();
    }
    l
}

pub async fn list(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ListQuery>,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    let message = q.accepted.map(|n| format!("已批量受理 {n} 件"));
    list_page(&app, &p, &q, list_params(&q, l), message, vec![]).await
}

async fn list_page(
    app: &App,
    p: &PageCtx,
    q: &ListQuery,
    l: ListParams,
    message: Option<String>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let f = list_filter(q);
    let page = applications::list(app, &p.ctx, &l, &f).await?;
    let overdue_by_town = applications::overdue_by_town(app, &p.ctx).await?;
    let list = ListView::new(app, p, LIST_PATH, &applications::list_spec(), &l, &page)
        .keep("overdue", if f.overdue_only { "1" } else { "" })
        .keep("mine", if f.mine { "1" } else { "" });
    render(&ListPage {
        nav: Nav::of(app, p),
        items: page.items,
        list,
        overdue: f.overdue_only,
        mine: f.mine,
        overdue_by_town,
        can_accept: p
            .ctx
            .actor
            .can(crate::app::authz::Permission::HandleApplications)
            && applications::my_stages(p.ctx.actor.role).contains(&Stage::Submitted),
        today: app.today(),
        message,
        errors,
    })
}

pub async fn export(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<ListQuery>,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    let sheet = applications::export(&app, &p.ctx, &list_params(&q, l), &list_filter(&q)).await?;
    xlsx_download(sheet, "applications.xlsx").await
}

/// 批量受理 from the list's ticked rows; a refusal shows the list again with every refused application named.
pub async fn accept_batch(
    State(app): State<App>,
    p: PageCtx,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let (ids, rest) = batch_form(&body);
    let on = rest
        .get("on")
        .filter(|d| !d.is_empty())
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    match applications::accept_batch(&app, &p.ctx, &ids, on).await {
        Ok(n) => {
            Ok(Redirect::to(&format!("{LIST_PATH}?status=accepted&accepted={n}")).into_response())
        }
        Err(AppError::Invalid { message, .. }) => {
            let errors = message.split('；').map(str::to_string).collect();
            list_page(
                &app,
                &p,
                &ListQuery::default(),
                ListParams::default(),
                None,
                errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct ActionForm {
    pub code: &'static str,
    pub label: &'static str,
    pub needs_staff: bool,
    pub needs_review: bool,
    pub needs_reason: bool,
    /// An approving step while the 核对报告 shows the household does not qualify: the 复核 result is asked for.
    pub needs_override: bool,
}

#[derive(Template)]
#[template(path = "application.html")]
struct DetailPage {
    nav: Nav,
    a: Detail,
    events: Vec<EventRow>,
    actions: Vec<ActionForm>,
    /// The town may list missing materials once, before accepting.
    can_notify: bool,
    notified: bool,
    /// The city may extend the decision limit to 45 working days once (2021 rules).
    can_extend: bool,
    today: chrono::NaiveDate,
    message: Option<String>,
    error: Option<String>,
}

pub struct Detail {
    pub id: String,
    /// The human 编号 (澄江-2020-0001).
    pub number: String,
    pub category: String,
    pub town_name: String,
    pub household_json: String,
    pub snapshot_json: Option<String>,
    /// Full identity number → name, to name the household's members on the 审批表.
    pub names: Vec<(String, String)>,
    pub category_label: String,
    pub stage_label: String,
    pub stage: String,
    pub area_name: String,
    pub hukou_name: String,
    pub applicant_name: String,
    pub applicant_id_masked: String,
    pub applied_on: chrono::NaiveDate,
    pub authorisation_on: chrono::NaiveDate,
    pub due_on: Option<chrono::NaiveDate>,
    pub overdue: bool,
    pub visited: bool,
    pub checked: bool,
    pub spot_check_required: bool,
    pub spot_checked: bool,
    pub staff_relative: bool,
    pub refusal_reason: Option<String>,
    pub decided_on: Option<chrono::NaiveDate>,
    pub monthly_amount: Option<String>,
    pub members: Vec<(String, String, String, String)>,
    pub bank_account_masked: String,
    /// The latest 核对报告 (先核再救).
    pub check: Option<applications::CheckSummary>,
    /// Under the 2021 rules: each member's obliged supporters as judged at intake.
    pub supporters: Vec<crate::app::assistance::supporters::SupporterLine>,
    /// Said when the deadline's year has no imported holiday calendar.
    pub deadline_note: Option<String>,
    /// The rule set the application is judged by (its acceptance date's), e.g. 民发〔2012〕220号.
    pub rules: minzheng_domain::assistance::RuleSet,
}

async fn detail(app: &App, p: &PageCtx, id: &str) -> Result<(Detail, Vec<EventRow>), PageError> {
    let (a, events) = applications::get(app, &p.ctx, id).await?;
    let members = crate::storage::persons::members(&app.db, &a.household_id)
        .await
        .map_err(AppError::from)?;
    let applicant = members.iter().find(|m| m.id == a.applicant_id);
    let areas = app.areas();
    let today = app.today();
    let years = crate::app::assistance::calendar::years(app).await?;
    let accepted_on = events
        .iter()
        .find(|e| e.action == "accept")
        .map(|e| e.on_date)
        .unwrap_or(a.applied_on);
    let d = Detail {
        rules: minzheng_domain::assistance::RuleSet::in_force(accepted_on),
        check: applications::check_summary(&events),
        supporters: applications::supporter_lines(&events),
        deadline_note: crate::app::assistance::calendar::uncovered_note(&years, a.due_on),
        category_label: applications::category_label(&a.category).into(),
        stage_label: a.stage().label().into(),
        area_name: areas.full_name(&a.area_code),
        hukou_name: areas.full_name(&a.hukou_area_code),
        applicant_name: applicant.map(|m| m.name.clone()).unwrap_or_default(),
        applicant_id_masked: applicant
            .map(|m| idnumber::mask(&m.id_number))
            .unwrap_or_default(),
        overdue: a.due_on.is_some_and(|d| d < today) && a.stage() != Stage::Approved,
        monthly_amount: a.monthly_amount.map(|f| Fen(f).to_string()),
        members: members
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    registry::relation_label(&m.relation).to_string(),
                    idnumber::mask(&m.id_number),
                    idnumber::age_on(m.birth_date, today).to_string(),
                )
            })
            .collect(),
        bank_account_masked: idnumber::mask_phone(&a.bank_account),
        id: a.id.clone(),
        number: a.number.clone(),
        category: a.category.clone(),
        town_name: areas.name(&a.town_code),
        household_json: a.household_json.clone(),
        snapshot_json: a.snapshot_json.clone(),
        names: members
            .iter()
            .map(|m| (m.id_number.clone(), m.name.clone()))
            .collect(),
        stage: a.stage.clone(),
        applied_on: a.applied_on,
        authorisation_on: a.authorisation_on,
        due_on: a.due_on,
        visited: a.visited,
        checked: a.checked,
        spot_check_required: a.spot_check_required,
        spot_checked: a.spot_checked,
        staff_relative: a.staff_relative,
        refusal_reason: a.refusal_reason.clone(),
        decided_on: a.decided_on,
    };
    Ok((d, events))
}

/// The actions this user may take now, as forms (`applications::actions_for` decides; the workflow still has the
/// last word when one is submitted).
fn actions_for(
    role: Role,
    stage: Stage,
    check_blocks: bool,
    rules: minzheng_domain::assistance::RuleSet,
) -> Vec<ActionForm> {
    use Action as A;
    applications::actions_for(role, stage, rules)
        .into_iter()
        .map(|a| ActionForm {
            code: a.code(),
            label: a.label(),
            needs_staff: matches!(a, A::Visit | A::SpotCheck),
            needs_review: a == A::CommunityReview,
            needs_reason: matches!(a, A::Refuse | A::Object),
            needs_override: check_blocks
                && matches!(a, A::TownApprove | A::CityApprove | A::Decide),
        })
        .collect()
}

async fn detail_page(
    app: &App,
    p: &PageCtx,
    id: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let (a, events) = detail(app, p, id).await?;
    let stage = Stage::from_code(&a.stage).unwrap_or(Stage::Submitted);
    let notified = events.iter().any(|e| e.action == "missing_notice");
    render(&DetailPage {
        nav: Nav::of(app, p),
        can_notify: stage == Stage::Submitted
            && p.ctx.actor.role == crate::app::authz::Role::TownOfficer
            && !notified,
        notified,
        can_extend: p.ctx.actor.role == crate::app::authz::Role::CityOfficer
            && a.rules == minzheng_domain::assistance::RuleSet::Y2021
            && !matches!(stage, Stage::Submitted | Stage::Approved | Stage::Refused)
            && !events.iter().any(|e| e.action == "extend"),
        actions: actions_for(
            p.ctx.actor.role,
            stage,
            a.check
                .as_ref()
                .is_some_and(|c| !c.eligible && c.review_override.is_none()),
            a.rules,
        ),
        a,
        events,
        today: app.today(),
        message,
        error,
    })
}

pub async fn show(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    detail_page(&app, &p, &id, None, None).await
}

#[derive(serde::Deserialize)]
pub struct ExtendForm {
    reason: String,
}

/// 延长办理期限 from the application page.
pub async fn extend(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ExtendForm>,
) -> Result<Response, PageError> {
    let done = applications::extend(&app, &p.ctx, &id, &f.reason, None)
        .await
        .map(|a| {
            format!(
                "已延长办理期限，本环节办理期限：{}",
                a.due_on.map(|d| d.to_string()).unwrap_or_default()
            )
        });
    after(&app, &p, &id, done).await
}

/// The application page again after one of its forms: what was done, or the refusal in Chinese.
async fn after(
    app: &App,
    p: &PageCtx,
    id: &str,
    done: Result<String, AppError>,
) -> Result<Response, PageError> {
    match done {
        Ok(m) => detail_page(app, p, id, Some(m), None).await,
        Err(
            e @ (AppError::Invalid { .. } | AppError::Conflict { .. } | AppError::Forbidden(_)),
        ) => detail_page(app, p, id, None, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct NoticeForm {
    /// One material per line.
    items: String,
}

pub async fn notice(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<NoticeForm>,
) -> Result<Response, PageError> {
    let items: Vec<String> = f.items.lines().map(String::from).collect();
    let done = applications::notify_missing(&app, &p.ctx, &id, &items, None)
        .await
        .map(|_| "已出具补正材料一次性告知书".to_string());
    after(&app, &p, &id, done).await
}

#[derive(Template)]
#[template(path = "missing_notice.html")]
struct NoticePage {
    nav: Nav,
    applicant: String,
    category: String,
    town: String,
    on: chrono::NaiveDate,
    items: Vec<String>,
}

/// The printable notice (补正材料一次性告知书).
pub async fn notice_print(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (a, events) = applications::get(&app, &p.ctx, &id).await?;
    let e = events
        .iter()
        .rfind(|e| e.action == "missing_notice")
        .ok_or_else(|| AppError::NotFound("补正材料告知书".into()))?;
    let items: Vec<String> = e
        .data_json
        .as_deref()
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|v| v["items"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|x| x.as_str().map(String::from))
        .collect();
    let applicant = applications::applicant_name(&app, &a).await?;
    render(&NoticePage {
        nav: Nav::of(&app, &p),
        applicant,
        category: applications::category_label(&a.category).into(),
        town: app.areas().name(&a.town_code).to_string(),
        on: e.on_date,
        items,
    })
}

#[derive(serde::Deserialize)]
pub struct ActForm {
    action: String,
    on: Option<String>,
    note: Option<String>,
    staff: Option<String>,
    participants: Option<String>,
    representatives: Option<String>,
    in_favour: Option<String>,
    reason: Option<String>,
}

pub async fn act(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    let on = match f.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                return detail_page(
                    &app,
                    &p,
                    &id,
                    None,
                    Some("办理日期格式应为 YYYY-MM-DD".into()),
                )
                .await;
            }
        },
        None => None,
    };
    let num = |s: &Option<String>| s.as_deref().and_then(|x| x.trim().parse::<u32>().ok());
    let input = ActionInput {
        action: f.action.clone(),
        on,
        note: f.note.clone().unwrap_or_default(),
        staff: f
            .staff
            .clone()
            .unwrap_or_default()
            .split(['，', ',', '、', ' '])
            .map(str::to_string)
            .filter(|s| !s.is_empty())
            .collect(),
        participants: num(&f.participants),
        representatives: num(&f.representatives),
        in_favour: num(&f.in_favour),
        reason: f.reason.clone().unwrap_or_default(),
    };
    match applications::act(&app, &p.ctx, &id, input).await {
        Ok(a) => {
            detail_page(
                &app,
                &p,
                &id,
                Some(format!("已办理：{}", a.stage().label())),
                None,
            )
            .await
        }
        Err(
            e @ (AppError::Invalid { .. } | AppError::Forbidden(_) | AppError::Conflict { .. }),
        ) => detail_page(&app, &p, &id, None, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "application_new.html")]
struct NewPage {
    nav: Nav,
    household_id: String,
    /// The grid task this application comes from (closed with it).
    task: String,
    area_name: String,
    members: Vec<MemberForm>,
    applicants: Vec<(String, String)>,
    assets: AssetsForm,
    categories: Vec<(&'static str, &'static str)>,
    member_statuses: Vec<(&'static str, &'static str)>,
    disability_kinds: Vec<(&'static str, &'static str)>,
    relations: Vec<(&'static str, &'static str)>,
    /// What was typed, kept when the form comes back with an error.
    typed: Typed,
    error: Option<String>,
}

#[derive(Default)]
struct Typed {
    category: String,
    applicant_id: String,
    applied_on: String,
    authorisation_on: String,
    bank_account: String,
    staff_relative: bool,
    /// The rows of 不在本户的法定义务人 (always `SUPPORTER_ROWS`, blank ones included).
    supporters: Vec<SupporterRow>,
}

/// Rows the intake form offers for obliged supporters living elsewhere.
const SUPPORTER_ROWS: usize = 3;

/// One row of 不在本户的法定义务人 as typed.
#[derive(Default, Clone)]
struct SupporterRow {
    i: usize,
    input: crate::app::assistance::supporters::SupporterInput,
    age: String,
}

/// The supporters living elsewhere as typed: every row for the form, and the filled ones for the use case.
fn parse_supporters(
    f: &HashMap<String, String>,
) -> (
    Vec<SupporterRow>,
    Vec<crate::app::assistance::supporters::SupporterInput>,
) {
    let mut rows = Vec::new();
    let mut filled = Vec::new();
    for i in 0..SUPPORTER_ROWS {
        let k = |name: &str| f.get(&format!("s{i}_{name}")).cloned().unwrap_or_default();
        let on = |name: &str| f.contains_key(&format!("s{i}_{name}"));
        let age = k("age");
        let input = crate::app::assistance::supporters::SupporterInput {
            name: k("name"),
            id_number: Some(k("id_number")).filter(|t| !t.trim().is_empty()),
            // a typed age that is not a number is refused by the use case as out of range
            age: match age.trim() {
                "" => None,
                t => Some(t.parse().unwrap_or(u32::MAX)),
            },
            monthly_income: k("income"),
            is_tekun: on("tekun"),
            is_dibao_recipient: on("dibao"),
            severely_disabled: on("severe"),
            intellectual_or_mental_grade_3: on("im3"),
            seriously_ill: on("ill"),
            lacks_civil_capacity: on("incapable"),
            missing: on("missing"),
            in_prison: on("prison"),
        };
        let blank =
            input.name.trim().is_empty() && input.id_number.is_none() && age.trim().is_empty();
        if !blank {
            filled.push(input.clone());
        }
        rows.push(SupporterRow { i, input, age });
    }
    (rows, filled)
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    household: String,
    task: Option<String>,
}

/// Intake prefilled from the registry: the household's members, their recorded incomes and disabilities.
pub async fn new_form(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    let h = registry::household(&app, &p.ctx, &q.household).await?;
    let members: Vec<MemberForm> = h
        .members
        .iter()
        .filter(|m| m.status == "normal")
        .enumerate()
        .map(|(i, m)| {
            let income = m.monthly_income.clone();
            let pension_age = m.age >= 60;
            MemberForm {
                i,
                label: format!("{}（{}）", m.name, m.id_number_masked),
                id_number: String::new(),
                relation: m.relation.clone(),
                status: "normal".into(),
                employed: m.employed,
                disability_kind: String::new(),
                disability_grade: "1".into(),
                serious_illness: m.serious_illness,
                self_care_unmet: "0".into(),
                supporter: false,
                public_payroll: false,
                wage: if pension_age {
                    "0".into()
                } else {
                    income.clone()
                },
                business: "0".into(),
                property: "0".into(),
                transfer: "0".into(),
                basic_pension: if pension_age { income } else { "0".into() },
                excluded: "0".into(),
            }
        })
        .collect();
    let applicants = h
        .members
        .iter()
        .filter(|m| m.status == "normal" && m.age >= 16)
        .map(|m| (m.id.clone(), m.name.clone()))
        .collect();
    render(&NewPage {
        nav: Nav::of(&app, &p),
        task: q.task.unwrap_or_default(),
        household_id: h.id.clone(),
        area_name: h.area_name.clone(),
        members,
        applicants,
        assets: blank_assets(),
        categories: CATEGORIES.to_vec(),
        member_statuses: MEMBER_STATUSES.to_vec(),
        disability_kinds: DISABILITY_KINDS.to_vec(),
        relations: registry::RELATIONS.to_vec(),
        typed: Typed {
            applied_on: app.today().to_string(),
            supporters: parse_supporters(&HashMap::new()).0,
            ..Typed::default()
        },
        error: None,
    })
}

pub async fn create(
    State(app): State<App>,
    p: PageCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f: HashMap<String, String> = pairs.into_iter().collect();
    let k = |s: &str| f.get(s).cloned().unwrap_or_default();
    let household_id = k("household_id");
    // identity numbers come from the registry, never retyped: member i of the form is registry member i
    let h = registry::household(&app, &p.ctx, &household_id).await?;
    let living: Vec<_> = h.members.iter().filter(|m| m.status == "normal").collect();
    let rows = crate::storage::persons::members(&app.db, &household_id)
        .await
        .map_err(AppError::from)?;
    let full: Vec<String> = living
        .iter()
        .map(|m| {
            rows.iter()
                .find(|r| r.id == m.id)
                .map(|r| r.id_number.clone())
                .unwrap_or_default()
        })
        .collect();
    let (mut members, assets) = parse_household_form(&f);
    for (i, m) in members.iter_mut().enumerate() {
        m.id_number = full.get(i).cloned().unwrap_or_default();
        m.label = living
            .get(i)
            .map(|x| format!("{}（{}）", x.name, x.id_number_masked))
            .unwrap_or_default();
    }
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let (supporter_rows, supporters_elsewhere) = parse_supporters(&f);
    let n = NewApplication {
        category: k("category"),
        household_id: household_id.clone(),
        applicant_id: k("applicant_id"),
        authorisation_on: date(&k("authorisation_on")),
        bank_account: k("bank_account"),
        staff_relative: f.contains_key("staff_relative"),
        household: household_json(&members, &assets),
        applied_on: date(&k("applied_on")),
        supporters_elsewhere,
    };
    // an application from a grid task closes the task: the task must be the grid worker's, visited, for this household
    let task = k("task");
    if !task.is_empty() {
        let (t, _) = crate::app::verification::tasks::get(&app, &p.ctx, &task).await?;
        if t.status != "visited" || t.household_id.as_deref() != Some(household_id.as_str()) {
            return Err(
                AppError::invalid("task", "网格任务须已走访，且申请须为任务对象家庭").into(),
            );
        }
    }
    match applications::create(&app, &p.ctx, n).await {
        Ok(a) => {
            if !task.is_empty() {
                crate::app::verification::tasks::close(
                    &app,
                    &p.ctx,
                    &task,
                    crate::app::verification::tasks::Close {
                        outcome: "application".into(),
                        reason: String::new(),
                        application_id: Some(a.id.clone()),
                    },
                )
                .await?;
            }
            Ok(Redirect::to(&format!("/assistance/applications/{}", a.id)).into_response())
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Forbidden(_))) => {
            let msg = super::assistance::with_field(&e);
            for m in members.iter_mut() {
                m.id_number.clear();
            }
            render(&NewPage {
                nav: Nav::of(&app, &p),
                task,
                household_id,
                area_name: h.area_name.clone(),
                applicants: living
                    .iter()
                    .filter(|m| m.age >= 16)
                    .map(|m| (m.id.clone(), m.name.clone()))
                    .collect(),
                members,
                assets,
                categories: CATEGORIES.to_vec(),
                member_statuses: MEMBER_STATUSES.to_vec(),
                disability_kinds: DISABILITY_KINDS.to_vec(),
                relations: registry::RELATIONS.to_vec(),
                typed: Typed {
                    category: k("category"),
                    applicant_id: k("applicant_id"),
                    applied_on: k("applied_on"),
                    authorisation_on: k("authorisation_on"),
                    bank_account: k("bank_account"),
                    staff_relative: f.contains_key("staff_relative"),
                    supporters: supporter_rows,
                },
                error: Some(msg),
            })
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "approval_form.html")]
struct ApprovalForm {
    a: Detail,
    opinions: Vec<Opinion>,
    incomes: Vec<IncomeRow>,
    assets: String,
    calc: Option<Calculation>,
    printed_on: chrono::NaiveDate,
}

/// One 意见 box of the 审批表: the office's recorded steps.
pub struct Opinion {
    pub title: &'static str,
    pub lines: Vec<OpinionLine>,
}

pub struct OpinionLine {
    pub what: &'static str,
    pub note: String,
    pub actor: String,
    pub on: chrono::NaiveDate,
}

/// The recorded steps in their offices' boxes: village (入户调查, 民主评议), town (初审, 公示), city (抽查, 审核确认, 决定). A refusal or objection goes to the office that had the application then.
fn opinions(events: &[EventRow]) -> Vec<Opinion> {
    let mut boxes = vec![
        Opinion {
            title: "村(居)委会意见（入户调查、民主评议）",
            lines: vec![],
        },
        Opinion {
            title: "镇(街道)初审意见",
            lines: vec![],
        },
        Opinion {
            title: "市民政局审核确认、决定意见",
            lines: vec![],
        },
    ];
    let mut at_city = false;
    for e in events {
        let i = match e.action.as_str() {
            "visit" | "community_review" => 0,
            "town_approve" | "town_publicity_end" => 1,
            "spot_check" | "city_approve" | "decide" => 2,
            "refuse" | "object" if at_city => 2,
            "refuse" | "object" => 1,
            _ => continue,
        };
        boxes[i].lines.push(OpinionLine {
            what: e.label(),
            note: e.note.clone(),
            actor: e.actor.clone(),
            on: e.on_date,
        });
        match e.action.as_str() {
            "town_publicity_end" => at_city = true,
            "object" => at_city = false,
            _ => {}
        }
    }
    boxes
}

pub struct IncomeRow {
    pub name: String,
    pub relation: String,
    pub wage: String,
    pub business: String,
    pub property: String,
    pub transfer: String,
    pub pension: String,
    pub excluded: String,
}

fn yuan(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return "0.00".into(),
    };
    Fen::parse_yuan(&s)
        .map(|f| f.to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// The household as declared on the application: each member's monthly incomes, and the assets in one line.
fn household_view(a: &Detail) -> (Vec<IncomeRow>, String) {
    let hh: serde_json::Value = serde_json::from_str(&a.household_json).unwrap_or_default();
    let incomes = hh["members"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    let idn = m["id_number"].as_str().unwrap_or("");
                    let i = &m["monthly_income"];
                    IncomeRow {
                        name: a
                            .names
                            .iter()
                            .find(|(n, _)| n == idn)
                            .map(|(_, name)| name.clone())
                            .unwrap_or_else(|| idnumber::mask(idn)),
                        relation: registry::relation_label(m["relation"].as_str().unwrap_or(""))
                            .to_string(),
                        wage: yuan(&i["wage"]),
                        business: yuan(&i["business"]),
                        property: yuan(&i["property"]),
                        transfer: yuan(&i["transfer"]),
                        pension: yuan(&i["basic_pension"]),
                        excluded: yuan(&i["excluded"]),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let s = &hh["assets"];
    let mut vehicles: Vec<(&str, usize)> = vec![];
    for v in s["vehicles"].as_array().into_iter().flatten() {
        let label = match v["kind"].as_str().unwrap_or("") {
            "car" => "小汽车",
            "truck" => "货车",
            "motorcycle" => "摩托车",
            "mobility" => "残疾人代步车",
            _ => "农用车",
        };
        match vehicles.iter_mut().find(|(l, _)| *l == label) {
            Some(x) => x.1 += 1,
            None => vehicles.push((label, 1)),
        }
    }
    let vehicles = if vehicles.is_empty() {
        "无".to_string()
    } else {
        vehicles
            .iter()
            .map(|(l, n)| format!("{l}{n}辆"))
            .collect::<Vec<_>>()
            .join("、")
    };
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    let assets = format!(
        "金融资产 {} 元；机动车：{vehicles}；住房 {} 套；商业用房 {} 处；企业法人或股东 {} 项；年度刚性支出 {} 元",
        yuan(&s["financial"]),
        n("residential_properties"),
        n("commercial_properties"),
        n("enterprise_roles"),
        yuan(&hh["annual_rigid_expenditure"]),
    );
    (incomes, assets)
}

/// The calculation behind the amount: the decision's frozen assessment, else the latest 核对's.
pub struct Calculation {
    pub basis: String,
    pub members_counted: u32,
    pub per_capita: String,
    pub dibao: String,
    pub tekun: String,
    /// The applied category: eligible with its amount, or the reasons it is not.
    pub category: String,
    pub eligible: bool,
    pub amount: String,
    pub covered: String,
    pub reasons: String,
}

fn calculation(a: &Detail, events: &[EventRow]) -> Option<Calculation> {
    use minzheng_domain::assistance::AssessmentResponse;
    let parse =
        |v: &serde_json::Value| serde_json::from_value::<AssessmentResponse>(v.clone()).ok();
    let decided = a
        .snapshot_json
        .as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| parse(&v["assessment"]))
        .map(|r| {
            (
                format!(
                    "决定时测算（{}）",
                    a.decided_on.map(crate::util::cn_date).unwrap_or_default()
                ),
                r,
            )
        });
    let checked = || {
        events
            .iter()
            .rev()
            .find(|e| e.action == "check")
            .and_then(|e| {
                let v: serde_json::Value = serde_json::from_str(e.data_json.as_deref()?).ok()?;
                parse(&v["assessment"]).map(|r| {
                    (
                        format!("核对时测算（{}）", crate::util::cn_date(e.on_date)),
                        r,
                    )
                })
            })
    };
    let (basis, r) = decided.or_else(checked)?;
    let view = super::assistance::result_view(&r);
    let code = a.category.as_str();
    let granted = r.eligible.iter().find(|e| e.category.code() == code);
    let refused = r.not_eligible.iter().find(|e| e.category.code() == code);
    Some(Calculation {
        basis,
        members_counted: view.members_counted,
        per_capita: view.per_capita,
        dibao: view.dibao,
        tekun: view.tekun,
        category: applications::category_label(code).to_string(),
        eligible: granted.is_some(),
        amount: granted
            .map(|g| g.monthly_amount.to_string())
            .unwrap_or_default(),
        covered: granted
            .map(|g| g.members_covered.to_string())
            .unwrap_or_default(),
        reasons: refused
            .map(|n| {
                n.reasons
                    .iter()
                    .map(|x| x.message.clone())
                    .collect::<Vec<_>>()
                    .join("；")
            })
            .unwrap_or_default(),
    })
}

/// The printable 审批表: one A4 page with every office's recorded opinion, the household's incomes and assets, the
/// calculation, the 核对报告 and room to sign.
pub async fn approval_form(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (a, events) = detail(&app, &p, &id).await?;
    let (incomes, assets) = household_view(&a);
    render(&ApprovalForm {
        opinions: opinions(&events),
        calc: calculation(&a, &events),
        incomes,
        assets,
        a,
        printed_on: app.today(),
    })
}

#[derive(Template)]
#[template(path = "refusal.html")]
struct RefusalPage {
    a: Detail,
    reason: String,
    on: chrono::NaiveDate,
}

/// The printable 不予批准告知书 of a refused application: the reason recorded, the rule set and the appeal rights.
pub async fn refusal(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (a, events) = detail(&app, &p, &id).await?;
    let (Some(reason), true) = (a.refusal_reason.clone(), a.stage == Stage::Refused.code()) else {
        return Err(AppError::NotFound("不予批准告知书".into()).into());
    };
    let on = a
        .decided_on
        .or_else(|| {
            events
                .iter()
                .rfind(|e| e.action == "refuse")
                .map(|e| e.on_date)
        })
        .unwrap_or(a.applied_on);
    render(&RefusalPage { a, reason, on })
}

#[derive(Template)]
#[template(path = "publicity.html")]
struct PublicityPage {
    village_name: String,
    town_name: String,
    month_label: String,
    rows: Vec<applications::PublicityRow>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    phone: String,
    printed_on: chrono::NaiveDate,
}

#[derive(Template)]
#[template(path = "publicity_form.html")]
struct PublicityFormPage {
    nav: Nav,
    villages: Vec<AreaOption>,
    months: Vec<(String, String)>,
}

#[derive(serde::Deserialize)]
pub struct PublicityQuery {
    village: Option<String>,
    month: Option<String>,
}

/// The months from `first` (at most ten years back) to `today`, newest first, as (YYYY-MM, 2020年6月).
fn months_between(first: chrono::NaiveDate, today: chrono::NaiveDate) -> Vec<(String, String)> {
    use chrono::Datelike;
    let (mut y, mut m) = (today.year(), today.month());
    let mut out = vec![];
    while out.len() < 120 && (y, m) >= (first.year(), first.month()) {
        out.push((format!("{y:04}-{m:02}"), format!("{y}年{m}月")));
        if m == 1 {
            (y, m) = (y - 1, 12);
        } else {
            m -= 1;
        }
    }
    out
}

/// 公示 of a village for a month: applications in or past their 公示 that month, never a full name or number. Without
/// a village and month: the small form that picks them (villages of the user's area only).
pub async fn publicity(
    State(app): State<App>,
    p: PageCtx,
    Query(q): Query<PublicityQuery>,
) -> Result<Response, PageError> {
    p.ctx
        .actor
        .require(crate::app::authz::Permission::ReadAssistance)?;
    let (Some(village), Some(month)) = (
        q.village.filter(|s| !s.is_empty()),
        q.month.filter(|s| !s.is_empty()),
    ) else {
        // the months offered reach back to the first application in the user's area
        let first = applications::first_application_on(&app, &p.ctx).await?;
        let today = app.today();
        let first = first.unwrap_or(today - chrono::Duration::days(365));
        return render(&PublicityFormPage {
            nav: Nav::of(&app, &p),
            villages: village_options(&app, &p),
            months: months_between(first.min(today), today),
        });
    };
    let areas = app.areas();
    let start = applications::month_start(&month)
        .ok_or_else(|| AppError::invalid("month", "月份格式应为 YYYY-MM"))?;
    let out = applications::publicity(&app, &p.ctx, &village, start).await?;
    let village = areas.get(&village).expect("checked by the use case");
    let from = out.iter().filter_map(|r| r.from).min();
    let to = out.iter().filter_map(|r| r.to).max();
    let month_label = {
        use chrono::Datelike;
        format!("{}年{}月", start.year(), start.month())
    };
    render(&PublicityPage {
        village_name: areas.full_name(&village.code),
        town_name: village
            .town_code
            .as_deref()
            .map(|t| areas.name(t))
            .unwrap_or_default(),
        month_label,
        rows: out,
        from,
        to,
        phone: super::supervision_phone(),
        printed_on: app.today(),
    })
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    nav: Nav,
    items: Vec<CaseItem>,
    list: ListView,
}

const CASES_PATH: &str = "/assistance/cases";

pub async fn cases_list(
    State(app): State<App>,
    p: PageCtx,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    let page = cases::list(&app, &p.ctx, &l).await?;
    let list = ListView::new(&app, &p, CASES_PATH, &cases::list_spec(), &l, &page);
    render(&CasesPage {
        nav: Nav::of(&app, &p),
        items: page.items,
        list,
    })
}

pub async fn cases_export(
    State(app): State<App>,
    p: PageCtx,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    xlsx_download(cases::export(&app, &p.ctx, &l).await?, "cases.xlsx").await
}

pub struct ChangeView {
    pub id: String,
    pub on_date: chrono::NaiveDate,
    pub note: String,
    pub outcome: &'static str,
    pub old: String,
    pub new: String,
    pub effective_month: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    nav: Nav,
    c: CaseItem,
    changes: Vec<ChangeView>,
    household_members: Vec<(String, String)>,
    can_change: bool,
    today: chrono::NaiveDate,
    message: Option<String>,
    error: Option<String>,
}

async fn case_page(
    app: &App,
    p: &PageCtx,
    id: &str,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let c = cases::get(app, &p.ctx, id).await?;
    let changes = cases::changes(app, &p.ctx, id)
        .await?
        .into_iter()
        .map(|ch| ChangeView {
            outcome: match ch.outcome.as_str() {
                "continue" => "维持",
                "adjust" => "调整金额",
                "phase_out" => "渐退",
                _ => "停保",
            },
            old: Fen(ch.old_amount).to_string(),
            new: Fen(ch.new_amount).to_string(),
            id: ch.id,
            on_date: ch.on_date,
            note: ch.note,
            effective_month: ch.effective_month,
        })
        .collect();
    let household_members = cases::household_members(app, &p.ctx, id).await?;
    render(&CasePage {
        nav: Nav::of(app, p),
        c,
        changes,
        household_members,
        can_change: matches!(p.ctx.actor.role, Role::TownOfficer | Role::CityOfficer),
        today: app.today(),
        message,
        error,
    })
}

pub async fn case_show(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    case_page(&app, &p, &id, None, None).await
}

#[derive(serde::Deserialize)]
pub struct EventForm {
    kind: String,
    person_id: Option<String>,
    on: Option<String>,
    monthly_wage: Option<String>,
    note: Option<String>,
}

pub async fn case_event(
    State(app): State<App>,
    p: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<EventForm>,
) -> Result<Response, PageError> {
    let ev = cases::CaseEvent {
        kind: f.kind,
        person_id: f.person_id.filter(|x| !x.is_empty()),
        on: f
            .on
            .as_deref()
            .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()),
        monthly_wage: f.monthly_wage.filter(|x| !x.is_empty()),
        note: f.note.unwrap_or_default(),
    };
    match cases::record_event(&app, &p.ctx, &id, ev).await {
        Ok(ch) => {
            case_page(
                &app,
                &p,
                &id,
                Some(format!(
                    "已办理，自 {} 起执行；请打印告知书送达",
                    ch.effective_month
                )),
                None,
            )
            .await
        }
        Err(
            e @ (AppError::Invalid { .. } | AppError::Conflict { .. } | AppError::Forbidden(_)),
        ) => case_page(&app, &p, &id, None, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "letter.html")]
struct LetterPage {
    letter: String,
    on: chrono::NaiveDate,
    doc_no: String,
}

pub async fn letter(
    State(app): State<App>,
    p: PageCtx,
    Path((id, change)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let ch = cases::changes(&app, &p.ctx, &id)
        .await?
        .into_iter()
        .find(|c| c.id == change)
        .ok_or(AppError::NotFound("告知书".into()))?;
    let doc_no = cases::letter_number(&app, &p.ctx, &id, &ch.id, ch.on_date).await?;
    // the stored text ends with the bureau's name for the API; on paper the 落款 block below carries it, once
    let body = ch.letter.trim_end();
    let bureau = crate::config::bureau_name();
    let body = body
        .strip_suffix(bureau.as_str())
        .unwrap_or(body)
        .trim_end();
    render(&LetterPage {
        letter: body.to_string(),
        on: ch.on_date,
        doc_no,
    })
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewsPage {
    nav: Nav,
    items: Vec<cases::ReviewItem>,
    per_area: Vec<(String, i64, i64)>,
    list: ListView,
}

const REVIEWS_PATH: &str = "/assistance/reviews";
/// The page shows reviews due within 30 days and every overdue one.
const REVIEW_DAYS: i64 = 30;

pub async fn reviews(
    State(app): State<App>,
    p: PageCtx,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    let (page, per_area) = cases::reviews_due(&app, &p.ctx, &l, REVIEW_DAYS).await?;
    let list = ListView::new(
        &app,
        &p,
        REVIEWS_PATH,
        &cases::review_spec(app.today()),
        &l,
        &page,
    );
    render(&ReviewsPage {
        nav: Nav::of(&app, &p),
        items: page.items,
        per_area,
        list,
    })
}

pub async fn reviews_export(
    State(app): State<App>,
    p: PageCtx,
    Query(l): Query<ListParams>,
) -> Result<Response, PageError> {
    xlsx_download(
        cases::reviews_export(&app, &p.ctx, &l, REVIEW_DAYS).await?,
        "reviews.xlsx",
    )
    .await
}
