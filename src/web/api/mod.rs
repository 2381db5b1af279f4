//! JSON API under /api/v1, one module per resource.

pub mod applications;
pub mod areas;
pub mod assistance;
pub mod auth;
pub mod child_protection;
pub mod children;
pub mod disability;
pub mod elderly;
pub mod elderly_services;
pub mod institutions;
pub mod ledger;
pub mod organisations;
pub mod payments;
pub mod persons;
pub mod safety;
pub mod targets;
pub mod temporary;
pub mod users;
pub mod verification;

use super::ApiError;
use crate::app::App;
use crate::app::AppError;
use axum::extract::rejection::JsonRejection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The platform's own API (logins, areas); the business lines bring theirs through `web::lines`.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(auth::create_token, auth::revoke_current))
        .routes(routes!(auth::my_tokens))
        .routes(routes!(areas::list))
}

/// User administration, behind the administrator's permission (see `web::lines::guard`).
pub fn user_routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(users::create, users::list))
        .routes(routes!(users::change_role))
        .routes(routes!(users::reset_totp))
}

/// The security policy, behind the security administrator's permission.
pub fn policy_routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(users::get_policy, users::put_policy))
}

/// Any other path under /api/v1: a Chinese 404 in the API's error shape.
pub async fn not_found() -> ApiError {
    ApiError(AppError::NotFound("接口".into()))
}

/// A raw JSON body for the rules that walk it themselves (so that a 422 names the first bad field): 400 when it
/// does not parse.
pub fn json_value(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError(AppError::BadRequest(format!(
            "请求内容不是有效的数据格式：第{}行第{}列附近有误",
            e.line(),
            e.column()
        )))
    })
}

/// A JSON body: 400 with a Chinese message when it does not parse, 422 when a field has the wrong shape (the field's
/// path in `field`, a Chinese label and reason in `error`), 413 over the size limit.
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                let (field, why) = data_error_field(&e.body_text());
                Err(ApiError(field_error(&field, &why)))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError(AppError::BadRequest(
                "请求内容类型不对：请求头须声明 Content-Type: application/json".into(),
            ))),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError(AppError::BadRequest(
                syntax_error_cn(&e.body_text()),
            ))),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError(too_large()))
            }
            Err(_) => Err(ApiError(AppError::BadRequest("请求内容无法读取".into()))),
        }
    }
}

/// Names the field in serde's message: "…target type: household.members[0]: invalid type…" or "missing field `x`".
fn data_error_field(msg: &str) -> (String, String) {
    let rest = msg
        .split_once("target type: ")
        .map(|(_, r)| r)
        .unwrap_or(msg);
    let (path, why) = match rest.split_once(": ") {
        Some((p, w)) if !p.contains(' ') => (p.to_string(), w.to_string()),
        _ => (String::new(), rest.to_string()),
    };
    let missing = why
        .split_once("missing field `")
        .and_then(|(_, r)| r.split_once('`'))
        .map(|(f, _)| f.to_string());
    let field = match (path.is_empty(), missing) {
        (true, Some(m)) => m,
        (false, Some(m)) => format!("{path}.{m}"),
        (_, None) => path,
    };
    (field, why.to_string())
}

pub fn too_large() -> AppError {
    AppError::TooLarge("请求内容超过大小限制（64兆字节）".into())
}

/// The 422 of a field with the wrong shape: `field` keeps the machine path, `error` says it in Chinese.
pub fn field_error(field: &str, why: &str) -> AppError {
    let why = serde_reason_cn(why);
    if field.is_empty() {
        AppError::invalid("", format!("请求内容不符合要求：{why}"))
    } else {
        AppError::invalid(field, format!("“{}”{why}", field_label_cn(field)))
    }
}

/// "EOF while parsing an object at line 1 column 9" → 请求内容不是有效的数据格式：第1行第9列.
fn syntax_error_cn(msg: &str) -> String {
    let num = |key: &str| {
        msg.rsplit_once(key)
            .map(|(_, r)| {
                r.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .filter(|n| !n.is_empty())
    };
    match (num("line "), num("column ")) {
        (Some(l), Some(c)) => format!("请求内容不是有效的数据格式：第{l}行第{c}列附近有误"),
        _ => "请求内容不是有效的数据格式".into(),
    }
}

/// A Chinese name for a request field path: "household.members[1].monthly_income.wage" → 家庭·第2位成员·月收入·工资性收入.
/// A segment without a known name stays as it is (it is the path itself).
pub fn field_label_cn(path: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("as_of", "测算日期"),
        ("household", "家庭"),
        ("members", "成员"),
        ("area_code", "区划代码"),
        ("id_number", "身份证号码"),
        ("name", "姓名"),
        ("relation", "与户主关系"),
        ("status", "状态"),
        ("employed", "是否就业"),
        ("disability", "残疾"),
        ("kind", "类别"),
        ("grade", "等级"),
        ("serious_illness", "是否重病"),
        ("self_care_unmet", "生活自理缺项"),
        ("has_capable_supporter", "是否有赡养抚养扶养能力的义务人"),
        ("public_payroll", "是否财政供养"),
        ("monthly_income", "月收入"),
        ("wage", "工资性收入"),
        ("business", "经营性收入"),
        ("property", "财产性收入"),
        ("transfer", "转移性收入"),
        ("basic_pension", "基本养老金"),
        ("excluded", "不计入收入"),
        ("assets", "家庭财产"),
        ("financial", "金融资产"),
        ("vehicles", "机动车"),
        ("residential_properties", "住房"),
        ("commercial_properties", "商业用房"),
        ("enterprise_roles", "企业任职"),
        ("annual_rigid_expenditure", "年度刚性支出"),
        ("category", "救助类别"),
        ("household_id", "家庭"),
        ("applicant_id", "申请人"),
        ("authorisation_on", "授权书签字日期"),
        ("bank_account", "银行账号"),
        ("staff_relative", "是否工作人员近亲属"),
        ("applied_on", "申请日期"),
        ("action", "办理事项"),
        ("on", "日期"),
        ("note", "备注"),
        ("staff", "工作人员"),
        ("participants", "参加人数"),
        ("representatives", "居民代表人数"),
        ("in_favour", "同意人数"),
        ("reason", "理由"),
        ("items", "材料"),
        ("page", "页码"),
        ("year", "年度"),
        ("month", "月份"),
        ("area", "区划"),
        ("stage", "环节"),
        ("q", "查询条件"),
        ("username", "用户名"),
        ("password", "密码"),
        ("role", "角色"),
        ("amount", "金额"),
        ("value", "数值"),
        ("comment", "说明"),
        ("outcome", "办理结果"),
        ("run", "核对批次"),
        ("days", "天数"),
        ("overdue", "是否超期"),
        ("mine", "是否待我办理"),
        ("full", "是否完整显示"),
        ("credit_code", "统一社会信用代码"),
        ("supporters_elsewhere", "不在本户的法定义务人"),
        ("age", "年龄"),
    ];
    let mut out = Vec::new();
    for seg in path.split('.') {
        let (key, index) = match seg.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (seg, None),
        };
        let name = NAMES
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, n)| n.to_string())
            .unwrap_or_else(|| key.to_string());
        out.push(name);
        if let Some(i) = index {
            out.push(format!("第{}项", i + 1));
        }
    }
    out.join("·")
}

/// serde's English reason in Chinese: "invalid type: boolean `true`, expected a formatted date string" → 应为日期.
pub fn serde_reason_cn(why: &str) -> String {
    let why = why.trim();
    // serde_json appends " at line 1 column 20"
    let why = why.split(" at line ").next().unwrap_or(why);
    let expected = |e: &str| -> &'static str {
        let e = e.trim();
        if e.contains("date") {
            "日期（如 2020-06-01）"
        } else if e.contains("time") {
            "时间"
        } else if e.contains("bool") {
            "是或否（布尔值）"
        } else if e.contains("sequence") || e.contains("array") || e.starts_with("a vec") {
            "列表"
        } else if e.contains("map") || e.starts_with("struct") || e.contains("object") {
            "对象"
        } else if e.contains("f32") || e.contains("f64") || e.contains("float") {
            "数字"
        } else if e.contains("i8")
            || e.contains("i16")
            || e.contains("i32")
            || e.contains("i64")
            || e.contains("u8")
            || e.contains("u16")
            || e.contains("u32")
            || e.contains("u64")
            || e.contains("usize")
            || e.contains("integer")
        {
            "整数"
        } else if e.contains("string") || e.contains("char") {
            "文本"
        } else if e.contains("variant") || e.starts_with("one of") {
            "规定的取值之一"
        } else {
            "规定的格式"
        }
    };
    if let Some(rest) = why.strip_prefix("invalid type: ") {
        let exp = rest.split_once(", expected ").map(|(_, e)| e).unwrap_or("");
        return format!("类型不对，应为{}", expected(exp));
    }
    if let Some(rest) = why.strip_prefix("invalid value: ") {
        let exp = rest.split_once(", expected ").map(|(_, e)| e).unwrap_or("");
        if rest.starts_with("integer") {
            return format!("数值超出范围，应为{}", expected(exp));
        }
        return format!("取值不对，应为{}", expected(exp));
    }
    if why.starts_with("missing field") {
        return "缺少必填项".into();
    }
    if why.starts_with("unknown variant") {
        return "取值不在规定范围内".into();
    }
    if why.starts_with("unknown field") {
        return "不是可接受的字段".into();
    }
    if why.starts_with("duplicate field") {
        return "重复出现".into();
    }
    if why.starts_with("invalid length") {
        return "项数不对".into();
    }
    if why.contains("invalid digit") || why.contains("cannot parse integer") {
        return "应为整数".into();
    }
    if why.contains("number too large") || why.contains("number too small") {
        return "数值超出范围".into();
    }
    if why.contains("float") {
        return "应为数字".into();
    }
    if why.contains("true") && why.contains("false") {
        return "应为是或否（布尔值）".into();
    }
    if why.contains("premature end")
        || why.contains("input contains invalid characters")
        || why.contains("trailing input")
        || why.contains("input is out of range")
        || why.contains("input is not enough")
    {
        return "日期格式不对，应为“年-月-日”（如 2020-06-01）".into();
    }
    "格式不符合要求".into()
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// 中文说明
    pub error: String,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
    /// An import's bad cells, every one: `file` (for an import of several files), `row` (the header is row 1),
    /// `column` and `message`. Nothing of the file was written.
    #[schema(value_type = Option<Vec<Object>>)]
    pub rows: Option<Vec<minzheng_domain::import::RowError>>,
}

/// A refused import: the error and every bad cell, one shape for every import of the API.
pub fn rows_error(
    e: AppError,
    rows: Vec<minzheng_domain::import::RowError>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let field = e.field().map(str::to_string);
    let body = ErrorBody {
        error: e.to_string(),
        field,
        rows: Some(rows),
    };
    (crate::web::status_of(&e), axum::Json(body)).into_response()
}
