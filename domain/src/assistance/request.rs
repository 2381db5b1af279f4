//! The assessment request (ASSESSMENT-API.md): typed wire structs, and `validate`, which walks a
//! parsed JSON body by hand so that a 422 can name the first bad field
//! ("household.members[1].id_number") — serde's own errors cannot do that for unknown enum values.
//!
//! Decisions where the API document is silent:
//! - every documented field is required (absent or null → "缺少必填字段"), except `disability`,
//!   which may be absent or null; unknown extra fields are ignored;
//! - an amount is a decimal string; a JSON integer is also accepted (no rounding is involved),
//!   a JSON fraction is refused so that no binary floating point ever reaches a money value;
//! - exactly one member may be `self`; an identity number may appear only once; a member born after
//!   `as_of` is refused; at least one member must have status `normal` (otherwise there is no
//!   household to calculate for);
//! - a body that is not a JSON object is reported with the empty field path "".

use super::types::*;
use crate::idnumber::IdNumber;
use crate::money::{Fen, MoneyError};
use chrono::NaiveDate;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The first bad field of a request. Serialises as the 422 body `{"error": …, "field": …}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    #[serde(rename = "error")]
    pub message: String,
    pub field: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

// ---------- typed wire format (for clients, tests and the demo generator) ----------

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AssessmentRequest {
    pub as_of: NaiveDate,
    pub household: HouseholdJson,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HouseholdJson {
    pub area_code: String,
    pub members: Vec<MemberJson>,
    pub assets: AssetsJson,
    #[serde(with = "crate::money_serde")]
    pub annual_rigid_expenditure: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberJson {
    pub id_number: String,
    pub relation: Relation,
    pub status: MemberStatus,
    pub employed: bool,
    pub disability: Option<DisabilityJson>,
    pub serious_illness: bool,
    pub self_care_unmet: u8,
    pub has_capable_supporter: bool,
    pub public_payroll: bool,
    pub monthly_income: MonthlyIncomeJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DisabilityJson {
    pub kind: DisabilityKind,
    pub grade: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MonthlyIncomeJson {
    #[serde(with = "crate::money_serde")]
    pub wage: Fen,
    #[serde(with = "crate::money_serde")]
    pub business: Fen,
    #[serde(with = "crate::money_serde")]
    pub property: Fen,
    #[serde(with = "crate::money_serde")]
    pub transfer: Fen,
    #[serde(with = "crate::money_serde")]
    pub basic_pension: Fen,
    #[serde(with = "crate::money_serde")]
    pub excluded: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AssetsJson {
    #[serde(with = "crate::money_serde")]
    pub financial: Fen,
    pub vehicles: Vec<VehicleJson>,
    pub residential_properties: u32,
    pub commercial_properties: u32,
    pub enterprise_roles: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VehicleJson {
    pub kind: VehicleKind,
}

impl From<&ValidRequest> for AssessmentRequest {
    fn from(r: &ValidRequest) -> AssessmentRequest {
        let h = &r.household;
        AssessmentRequest {
            as_of: r.as_of,
            household: HouseholdJson {
                area_code: h.area_code.clone(),
                members: h
                    .members
                    .iter()
                    .map(|m| MemberJson {
                        id_number: m.id_number.as_str().to_string(),
                        relation: m.relation,
                        status: m.status,
                        employed: m.employed,
                        disability: m.disability.map(|d| DisabilityJson {
                            kind: d.kind,
                            grade: d.grade,
                        }),
                        serious_illness: m.serious_illness,
                        self_care_unmet: m.self_care_unmet,
                        has_capable_supporter: m.has_capable_supporter,
                        public_payroll: m.public_payroll,
                        monthly_income: MonthlyIncomeJson {
                            wage: m.monthly_income.wage,
                            business: m.monthly_income.business,
                            property: m.monthly_income.property,
                            transfer: m.monthly_income.transfer,
                            basic_pension: m.monthly_income.basic_pension,
                            excluded: m.monthly_income.excluded,
                        },
                    })
                    .collect(),
                assets: AssetsJson {
                    financial: h.assets.financial,
                    vehicles: h
                        .assets
                        .vehicles
                        .iter()
                        .map(|k| VehicleJson { kind: *k })
                        .collect(),
                    residential_properties: h.assets.residential_properties,
                    commercial_properties: h.assets.commercial_properties,
                    enterprise_roles: h.assets.enterprise_roles,
                },
                annual_rigid_expenditure: h.annual_rigid_expenditure,
            },
        }
    }
}

// ---------- validation ----------

/// Validates a parsed request body. `today` bounds birth dates in identity numbers;
/// `area_ok` says whether an area code belongs to this deployment.
pub fn validate(
    body: &Value,
    today: NaiveDate,
    area_ok: impl Fn(&str) -> bool,
) -> Result<ValidRequest, FieldError> {
    let root = object(body, "")?;
    let as_of = date(required(root, "", "as_of")?, "as_of")?;
    let hv = required(root, "", "household")?;
    let hh = object(hv, "household")?;

    let area_code = string(
        required(hh, "household", "area_code")?,
        "household.area_code",
    )?;
    if !area_ok(area_code) {
        return Err(FieldError::new(
            "household.area_code",
            format!("行政区划代码“{area_code}”不在本系统的辖区内"),
        ));
    }

    let members_v = array(required(hh, "household", "members")?, "household.members")?;
    if members_v.is_empty() {
        return Err(FieldError::new("household.members", "家庭成员不能为空"));
    }
    let mut members = Vec::with_capacity(members_v.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut self_at: Option<usize> = None;
    for (i, mv) in members_v.iter().enumerate() {
        let path = format!("household.members[{i}]");
        let m = member(mv, &path, today, as_of)?;
        if let Some(first) = seen.insert(m.id_number.as_str().to_string(), i) {
            return Err(FieldError::new(
                format!("{path}.id_number"),
                format!("身份号码与第{}名成员重复", first + 1),
            ));
        }
        if m.relation == Relation::Applicant {
            if let Some(first) = self_at {
                return Err(FieldError::new(
                    format!("{path}.relation"),
                    format!(
                        "只能有一名成员的关系为本人(self)，第{}名成员已是本人",
                        first + 1
                    ),
                ));
            }
            self_at = Some(i);
        }
        members.push(m);
    }
    if self_at.is_none() {
        return Err(FieldError::new(
            "household.members",
            "家庭成员中必须有一名关系为本人(self)的成员",
        ));
    }
    if !members.iter().any(Member::is_counted) {
        return Err(FieldError::new(
            "household.members",
            "没有状态为正常(normal)的共同生活成员，无法计算家庭收入",
        ));
    }

    let assets = assets(required(hh, "household", "assets")?, "household.assets")?;
    let annual_rigid_expenditure = money(
        required(hh, "household", "annual_rigid_expenditure")?,
        "household.annual_rigid_expenditure",
    )?;

    Ok(ValidRequest {
        as_of,
        household: Household {
            area_code: area_code.to_string(),
            members,
            assets,
            annual_rigid_expenditure,
        },
    })
}

/// A household stored after `validate` accepted it (an application's or a case's frozen household), read without
/// building a JSON tree: typed deserialisation, then `validate`'s checks. `None` when the text is not in the shape
/// the system writes (amounts as strings, an area code) or any check fails; the caller then asks `validate` itself,
/// whose verdict is the rule. The stored area code is not judged again (as `validate` with every area allowed).
/// A batch of many thousands (a verification run) spent most of its time building JSON trees.
pub fn read_frozen(text: &str, as_of: NaiveDate, today: NaiveDate) -> Option<Household> {
    let Obj(h): Obj<FrozenHousehold<'_>> = serde_json::from_str(text).ok()?;
    let mut members = Vec::with_capacity(h.members.len());
    let mut applicants = 0;
    for Obj(m) in h.members {
        let id_number = IdNumber::parse(&m.id_number, today).ok()?;
        if id_number.birth_date() > as_of
            || m.self_care_unmet > 6
            || m.disability
                .as_ref()
                .is_some_and(|d| !(1..=4).contains(&d.0.grade))
            || members.iter().any(|x: &Member| x.id_number == id_number)
        {
            return None;
        }
        applicants += usize::from(m.relation == Relation::Applicant);
        let Obj(i) = m.monthly_income;
        members.push(Member {
            id_number,
            relation: m.relation,
            status: m.status,
            employed: m.employed,
            disability: m.disability.map(|Obj(d)| Disability {
                kind: d.kind,
                grade: d.grade,
            }),
            serious_illness: m.serious_illness,
            self_care_unmet: m.self_care_unmet,
            has_capable_supporter: m.has_capable_supporter,
            public_payroll: m.public_payroll,
            monthly_income: MonthlyIncome {
                wage: i.wage.0,
                business: i.business.0,
                property: i.property.0,
                transfer: i.transfer.0,
                basic_pension: i.basic_pension.0,
                excluded: i.excluded.0,
            },
        });
    }
    if applicants != 1 || !members.iter().any(Member::is_counted) {
        return None;
    }
    let Obj(a) = h.assets;
    Some(Household {
        area_code: h.area_code?.into_owned(),
        members,
        assets: Assets {
            financial: a.financial.0,
            vehicles: a.vehicles.into_iter().map(|v| v.0.kind).collect(),
            residential_properties: a.residential_properties,
            commercial_properties: a.commercial_properties,
            enterprise_roles: a.enterprise_roles,
        },
        annual_rigid_expenditure: h.annual_rigid_expenditure.0,
    })
}

// `read_frozen`'s shapes: a missing or null field that `validate` requires fails here as there, and so does a
// value of the wrong type or out of range (checked after reading).
#[derive(serde::Deserialize)]
struct FrozenHousehold<'a> {
    #[serde(borrow)]
    area_code: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    members: Vec<Obj<FrozenMember<'a>>>,
    assets: Obj<FrozenAssets>,
    annual_rigid_expenditure: Yuan,
}

#[derive(serde::Deserialize)]
struct FrozenMember<'a> {
    #[serde(borrow)]
    id_number: std::borrow::Cow<'a, str>,
    relation: Relation,
    status: MemberStatus,
    employed: bool,
    disability: Option<Obj<DisabilityJson>>,
    serious_illness: bool,
    self_care_unmet: u8,
    has_capable_supporter: bool,
    public_payroll: bool,
    monthly_income: Obj<FrozenIncome>,
}

#[derive(serde::Deserialize)]
struct FrozenIncome {
    wage: Yuan,
    business: Yuan,
    property: Yuan,
    transfer: Yuan,
    basic_pension: Yuan,
    excluded: Yuan,
}

#[derive(serde::Deserialize)]
struct FrozenAssets {
    financial: Yuan,
    vehicles: Vec<Obj<VehicleJson>>,
    residential_properties: u32,
    commercial_properties: u32,
    enterprise_roles: u32,
}

/// A struct read from a JSON object only: serde's derived structs also take an array of their fields in order,
/// which `validate` refuses.
struct Obj<T>(T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Obj<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Obj<T>, D::Error> {
        struct Fields<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Fields<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Fields(std::marker::PhantomData)).map(Obj)
    }
}

/// An amount exactly as `validate` reads a string amount (`Fen::parse_yuan`, so never negative).
struct Yuan(Fen);

impl<'de> serde::Deserialize<'de> for Yuan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Yuan, D::Error> {
        let s = <&'de str>::deserialize(d)?;
        Fen::parse_yuan(s)
            .map(Yuan)
            .map_err(serde::de::Error::custom)
    }
}

/// `validate` for a typed request (it goes through the same checks, so the typed struct cannot
/// smuggle in what the JSON path would refuse).
pub fn validate_typed(
    req: &AssessmentRequest,
    today: NaiveDate,
    area_ok: impl Fn(&str) -> bool,
) -> Result<ValidRequest, FieldError> {
    let v = serde_json::to_value(req).map_err(|e| FieldError::new("", e.to_string()))?;
    validate(&v, today, area_ok)
}

fn member(v: &Value, path: &str, today: NaiveDate, as_of: NaiveDate) -> Result<Member, FieldError> {
    let o = object(v, path)?;
    let f = |k: &str| format!("{path}.{k}");

    let raw_id = string(required(o, path, "id_number")?, &f("id_number"))?;
    let id_number = IdNumber::parse(raw_id, today)
        .map_err(|e| FieldError::new(f("id_number"), e.to_string()))?;
    if id_number.birth_date() > as_of {
        return Err(FieldError::new(
            f("id_number"),
            "身份证号码中的出生日期晚于评估日期(as_of)",
        ));
    }
    let relation = code::<Relation>(required(o, path, "relation")?, &f("relation"))?;
    let status = code::<MemberStatus>(required(o, path, "status")?, &f("status"))?;
    let employed = boolean(required(o, path, "employed")?, &f("employed"))?;
    let disability = match o.get("disability") {
        None | Some(Value::Null) => None,
        Some(dv) => Some(disability(dv, &f("disability"))?),
    };
    let serious_illness = boolean(required(o, path, "serious_illness")?, &f("serious_illness"))?;
    let self_care_unmet = small_int(
        required(o, path, "self_care_unmet")?,
        &f("self_care_unmet"),
        0..=6,
        "生活自理能力未满足的日常活动项数应为0–6的整数",
    )?;
    let has_capable_supporter = boolean(
        required(o, path, "has_capable_supporter")?,
        &f("has_capable_supporter"),
    )?;
    let public_payroll = boolean(required(o, path, "public_payroll")?, &f("public_payroll"))?;
    let monthly_income = income(required(o, path, "monthly_income")?, &f("monthly_income"))?;
    Ok(Member {
        id_number,
        relation,
        status,
        employed,
        disability,
        serious_illness,
        self_care_unmet,
        has_capable_supporter,
        public_payroll,
        monthly_income,
    })
}

fn disability(v: &Value, path: &str) -> Result<Disability, FieldError> {
    let o = v
        .as_object()
        .ok_or_else(|| FieldError::new(path, "应为 null 或包含 kind、grade 的对象"))?;
    let kind = code::<DisabilityKind>(required(o, path, "kind")?, &format!("{path}.kind"))?;
    let grade = small_int(
        required(o, path, "grade")?,
        &format!("{path}.grade"),
        1..=4,
        "残疾等级应为1–4的整数",
    )?;
    Ok(Disability { kind, grade })
}

fn income(v: &Value, path: &str) -> Result<MonthlyIncome, FieldError> {
    let o = object(v, path)?;
    let m = |k: &str| money(required(o, path, k)?, &format!("{path}.{k}"));
    Ok(MonthlyIncome {
        wage: m("wage")?,
        business: m("business")?,
        property: m("property")?,
        transfer: m("transfer")?,
        basic_pension: m("basic_pension")?,
        excluded: m("excluded")?,
    })
}

fn assets(v: &Value, path: &str) -> Result<Assets, FieldError> {
    let o = object(v, path)?;
    let financial = money(
        required(o, path, "financial")?,
        &format!("{path}.financial"),
    )?;
    let vpath = format!("{path}.vehicles");
    let mut vehicles = Vec::new();
    for (i, vv) in array(required(o, path, "vehicles")?, &vpath)?
        .iter()
        .enumerate()
    {
        let ip = format!("{vpath}[{i}]");
        let vo = object(vv, &ip)?;
        vehicles.push(code::<VehicleKind>(
            required(vo, &ip, "kind")?,
            &format!("{ip}.kind"),
        )?);
    }
    let n = |k: &str| count(required(o, path, k)?, &format!("{path}.{k}"));
    Ok(Assets {
        financial,
        vehicles,
        residential_properties: n("residential_properties")?,
        commercial_properties: n("commercial_properties")?,
        enterprise_roles: n("enterprise_roles")?,
    })
}

// ---------- JSON helpers: each names its field on failure ----------

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn required<'a>(
    o: &'a Map<String, Value>,
    parent: &str,
    key: &str,
) -> Result<&'a Value, FieldError> {
    match o.get(key) {
        None | Some(Value::Null) => Err(FieldError::new(join(parent, key), "缺少必填字段")),
        Some(v) => Ok(v),
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, FieldError> {
    v.as_object().ok_or_else(|| {
        FieldError::new(
            path,
            if path.is_empty() {
                "请求体应为JSON对象"
            } else {
                "应为JSON对象"
            },
        )
    })
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, FieldError> {
    v.as_array()
        .ok_or_else(|| FieldError::new(path, "应为数组"))
}

fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str, FieldError> {
    v.as_str()
        .ok_or_else(|| FieldError::new(path, "应为字符串"))
}

fn boolean(v: &Value, path: &str) -> Result<bool, FieldError> {
    v.as_bool()
        .ok_or_else(|| FieldError::new(path, "应为 true 或 false"))
}

fn date(v: &Value, path: &str) -> Result<NaiveDate, FieldError> {
    crate::wire::ymd(string(v, path)?, path, "日期")
}

fn code<T: CodeList>(v: &Value, path: &str) -> Result<T, FieldError> {
    let s = string(v, path)?;
    T::from_code_str(s)
        .ok_or_else(|| FieldError::new(path, format!("未知的取值“{s}”，可选：{}", T::all_codes())))
}

fn small_int(
    v: &Value,
    path: &str,
    range: std::ops::RangeInclusive<u8>,
    msg: &str,
) -> Result<u8, FieldError> {
    v.as_u64()
        .and_then(|n| u8::try_from(n).ok())
        .filter(|n| range.contains(n))
        .ok_or_else(|| FieldError::new(path, msg))
}

fn count(v: &Value, path: &str) -> Result<u32, FieldError> {
    if let Some(n) = v.as_u64() {
        return u32::try_from(n).map_err(|_| FieldError::new(path, "数量过大"));
    }
    if v.as_i64().is_some() {
        return Err(FieldError::new(path, "数量不能为负数"));
    }
    Err(FieldError::new(path, "应为非负整数"))
}

fn money(v: &Value, path: &str) -> Result<Fen, FieldError> {
    let raw = match v {
        Value::String(s) => s.clone(),
        // integers print exactly; fractions would have passed through f64
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::Number(_) => {
            return Err(FieldError::new(
                path,
                "带小数的金额请写成字符串，如\"12.50\"",
            ));
        }
        _ => return Err(FieldError::new(path, "金额应为字符串，如\"12.50\"")),
    };
    Fen::parse_yuan(&raw).map_err(|e| {
        let msg = match e {
            MoneyError::Empty => e.to_string(),
            _ => format!("{e}(收到“{raw}”)"),
        };
        FieldError::new(path, msg)
    })
}

/// The code lists `validate` can read.
trait CodeList: Sized {
    fn from_code_str(s: &str) -> Option<Self>;
    fn all_codes() -> String;
}

macro_rules! code_list {
    ($($t:ty),+) => {$(
        impl CodeList for $t {
            fn from_code_str(s: &str) -> Option<Self> { <$t>::from_code(s) }
            fn all_codes() -> String { <$t>::codes_text() }
        }
    )+};
}
code_list!(Relation, MemberStatus, DisabilityKind, VehicleKind);
