//! Elderly care (养老, DOMAIN §5): the capability assessment score (老年人能力评估, GB/T 42195-2022,
//! LINES-API §1), assessment reasons and due dates, and the old-age allowance bands.
//!
//! Decisions where the contract is silent:
//! - `validate_capability` first refuses an unknown item key (so a typo such as "B1.1" is named rather than
//!   reported as the missing "B.1.1"), then walks the 26 items in table order; an item score must be a JSON
//!   integer (4.0 is refused); unknown fields outside `items` are ignored;
//! - an adjustment that holds is listed even when the base level is already 4 (the level cannot get worse, but
//!   the record shows why it would have); with `coma` only `COMA` is listed, as the contract says;
//! - the next assessment is due 12 calendar months after the last (29 February → 28 February), or on the day of a
//!   care-risk event after the last assessment when that comes sooner; an event on the assessment day itself is
//!   taken to be known to that assessment.

pub mod community;
pub mod services;
pub mod staff;

use crate::assistance::FieldError;
use crate::idnumber::age_on;
use crate::wire::{boolean, code_list, object, required};
use chrono::{Months, NaiveDate};
use serde_json::Value;

/// The 26 items in form order: (code, Chinese name, maximum score). Higher scores mean more able.
pub const ITEMS: &[(&str, &str, u8)] = &[
    ("B.1.1", "进食", 4),
    ("B.1.2", "修饰", 4),
    ("B.1.3", "洗澡", 4),
    ("B.1.4", "穿/脱上衣", 4),
    ("B.1.5", "穿/脱裤子和鞋袜", 4),
    ("B.1.6", "小便控制", 4),
    ("B.1.7", "大便控制", 4),
    ("B.1.8", "如厕", 4),
    ("B.2.1", "床上体位转移", 4),
    ("B.2.2", "床椅转移", 4),
    ("B.2.3", "平地行走", 4),
    ("B.2.4", "上下楼梯", 3),
    ("B.3.1", "时间定向", 4),
    ("B.3.2", "空间定向", 4),
    ("B.3.3", "人物定向", 4),
    ("B.3.4", "记忆", 4),
    ("B.3.5", "理解能力", 4),
    ("B.3.6", "表达能力", 4),
    ("B.3.7", "攻击行为", 1),
    ("B.3.8", "抑郁症状", 1),
    ("B.3.9", "意识水平", 2),
    ("B.4.1", "视力", 2),
    ("B.4.2", "听力", 2),
    ("B.4.3", "执行日常事务", 4),
    ("B.4.4", "使用交通工具外出", 3),
    ("B.4.5", "社会交往能力", 4),
];

/// The four domains: (answer key, item prefix, Chinese name, maximum). Their items are consecutive in `ITEMS`.
pub const DOMAINS: &[(&str, &str, &str, u8)] = &[
    ("self_care", "B.1", "自理能力", 32),
    ("mobility", "B.2", "基础运动能力", 15),
    ("mental", "B.3", "精神状态", 28),
    ("perception_social", "B.4", "感知觉与社会参与", 15),
];

/// Level names by level 0..=4.
pub const LEVEL_NAMES: [&str; 5] = [
    "能力完好",
    "能力轻度受损（轻度失能）",
    "能力中度受损（中度失能）",
    "能力重度受损（重度失能）",
    "能力完全丧失（完全失能）",
];

/// The most severe level.
pub const MAX_LEVEL: u8 = 4;

/// A validated score request. The item scores are private so that each stays within its maximum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityInput {
    items: [u8; ITEM_COUNT],
    pub coma: bool,
    pub dementia_or_mental_disorder: bool,
    /// Falls, choking, suicide or self-harm, wandering in the last 30 days.
    pub care_risk_events_30d: u32,
}

const ITEM_COUNT: usize = 26;

impl CapabilityInput {
    /// Item scores in `ITEMS` order; 422-style error naming the first score above its maximum.
    pub fn new(
        items: [u8; ITEM_COUNT],
        coma: bool,
        dementia_or_mental_disorder: bool,
        care_risk_events_30d: u32,
    ) -> Result<CapabilityInput, FieldError> {
        for (&(code, name, max), &s) in ITEMS.iter().zip(&items) {
            if s > max {
                return Err(item_range_error(code, name, max));
            }
        }
        Ok(CapabilityInput {
            items,
            coma,
            dementia_or_mental_disorder,
            care_risk_events_30d,
        })
    }

    /// Item scores in `ITEMS` order.
    pub fn items(&self) -> &[u8; ITEM_COUNT] {
        &self.items
    }

    /// The score of one item by code.
    pub fn item(&self, code: &str) -> Option<u8> {
        ITEMS
            .iter()
            .position(|(c, _, _)| *c == code)
            .map(|i| self.items[i])
    }
}

// written in the request's own shape, so a stored input can be read back through `validate_capability`
impl serde::Serialize for CapabilityInput {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Items<'a>(&'a [u8; ITEM_COUNT]);
        impl serde::Serialize for Items<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(ITEMS.iter().map(|(c, _, _)| *c).zip(self.0.iter()))
            }
        }
        let mut st = s.serialize_struct("CapabilityInput", 4)?;
        st.serialize_field("items", &Items(&self.items))?;
        st.serialize_field("coma", &self.coma)?;
        st.serialize_field(
            "dementia_or_mental_disorder",
            &self.dementia_or_mental_disorder,
        )?;
        st.serialize_field("care_risk_events_30d", &self.care_risk_events_30d)?;
        st.end()
    }
}

impl<'de> serde::Deserialize<'de> for CapabilityInput {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CapabilityInput, D::Error> {
        let v = Value::deserialize(d)?;
        validate_capability(&v).map_err(serde::de::Error::custom)
    }
}

fn item_range_error(code: &str, name: &str, max: u8) -> FieldError {
    FieldError::new(
        format!("items.{code}"),
        format!("评估项目{code}“{name}”的得分应为0–{max}的整数"),
    )
}

/// Validates a parsed score request; the error names the first bad field (`items.B.1.1`, `coma` …).
pub fn validate_capability(body: &Value) -> Result<CapabilityInput, FieldError> {
    let root = object(body, "", "请求体")?;
    let items_o = object(
        required(root, "", "items", "评估项目")?,
        "items",
        "评估项目",
    )?;
    if let Some(unknown) = items_o
        .keys()
        .find(|k| !ITEMS.iter().any(|(c, _, _)| c == k))
    {
        return Err(FieldError::new(
            format!("items.{unknown}"),
            format!("未知的评估项目“{unknown}”，应为B.1.1–B.4.5中的一项"),
        ));
    }
    let mut items = [0u8; ITEM_COUNT];
    for (slot, &(code, name, max)) in items.iter_mut().zip(ITEMS) {
        let v = required(items_o, "items", code, &format!("评估项目{code}“{name}”"))?;
        *slot = v
            .as_u64()
            .filter(|&n| n <= u64::from(max))
            .ok_or_else(|| item_range_error(code, name, max))? as u8;
    }
    let coma = boolean(required(root, "", "coma", "是否昏迷")?, "coma", "是否昏迷")?;
    let dementia_label = "是否患有痴呆或精神障碍";
    let dementia_or_mental_disorder = boolean(
        required(root, "", "dementia_or_mental_disorder", dementia_label)?,
        "dementia_or_mental_disorder",
        dementia_label,
    )?;
    let events_label = "近30天照护风险事件次数";
    let ev = required(root, "", "care_risk_events_30d", events_label)?;
    let care_risk_events_30d = match ev.as_u64() {
        Some(n) => u32::try_from(n)
            .map_err(|_| FieldError::new("care_risk_events_30d", format!("{events_label}过大")))?,
        None if ev.as_i64().is_some() => {
            return Err(FieldError::new(
                "care_risk_events_30d",
                format!("{events_label}不能为负数"),
            ));
        }
        None => {
            return Err(FieldError::new(
                "care_risk_events_30d",
                format!("{events_label}应为非负整数"),
            ));
        }
    };
    Ok(CapabilityInput {
        items,
        coma,
        dementia_or_mental_disorder,
        care_risk_events_30d,
    })
}

/// Why the level differs from the base level, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Adjustment {
    Coma,
    DementiaOrMentalDisorder,
    CareRiskEvents,
}

impl Adjustment {
    pub fn label(self) -> &'static str {
        match self {
            Adjustment::Coma => "昏迷",
            Adjustment::DementiaOrMentalDisorder => "确诊痴呆或精神障碍",
            Adjustment::CareRiskEvents => "近30天发生2次及以上照护风险事件",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DomainScores {
    pub self_care: u8,
    pub mobility: u8,
    pub mental: u8,
    pub perception_social: u8,
}

/// The answer; its serde form is the API's 200 body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CapabilityScore {
    pub total: u8,
    pub domains: DomainScores,
    pub base_level: u8,
    pub level: u8,
    pub level_name: String,
    pub adjustments: Vec<Adjustment>,
}

/// Base level by total score (0 best … 4 worst).
pub fn base_level(total: u8) -> u8 {
    match total {
        90.. => 0,
        66..=89 => 1,
        46..=65 => 2,
        30..=45 => 3,
        _ => 4,
    }
}

/// The Chinese name of a level; levels above 4 are named as 4.
pub fn level_name(level: u8) -> &'static str {
    LEVEL_NAMES[usize::from(level.min(MAX_LEVEL))]
}

pub fn score(input: &CapabilityInput) -> CapabilityScore {
    let sum = |r: std::ops::Range<usize>| input.items[r].iter().sum::<u8>();
    let domains = DomainScores {
        self_care: sum(0..8),
        mobility: sum(8..12),
        mental: sum(12..21),
        perception_social: sum(21..26),
    };
    let total = domains.self_care + domains.mobility + domains.mental + domains.perception_social;
    let base = base_level(total);
    let mut adjustments = Vec::new();
    let level = if input.coma {
        adjustments.push(Adjustment::Coma);
        MAX_LEVEL
    } else {
        if input.dementia_or_mental_disorder {
            adjustments.push(Adjustment::DementiaOrMentalDisorder);
        }
        if input.care_risk_events_30d >= 2 {
            adjustments.push(Adjustment::CareRiskEvents);
        }
        // one step even when both hold
        if adjustments.is_empty() {
            base
        } else {
            (base + 1).min(MAX_LEVEL)
        }
    };
    CapabilityScore {
        total,
        domains,
        base_level: base,
        level,
        level_name: level_name(level).to_string(),
        adjustments,
    }
}

code_list! {
    /// Why an assessment is made.
    AssessmentReason {
        First = "first" / "首次评估",
        Routine = "routine" / "常规评估",
        Immediate = "immediate" / "即时评估",
        Review = "review" / "复评",
    }
}

/// When the next assessment is due and why: routinely 12 calendar months after the last, immediately (on the
/// event's day) after a care-risk event later than the last assessment, whichever is sooner.
pub fn next_assessment(
    last_assessed: NaiveDate,
    care_risk_event_after: Option<NaiveDate>,
) -> (NaiveDate, AssessmentReason) {
    // saturates at chrono's last date rather than failing
    let routine = last_assessed
        .checked_add_months(Months::new(12))
        .unwrap_or(NaiveDate::MAX);
    match care_risk_event_after {
        Some(e) if e > last_assessed && e < routine => (e, AssessmentReason::Immediate),
        _ => (routine, AssessmentReason::Routine),
    }
}

/// The date of `next_assessment`.
pub fn next_due(last_assessed: NaiveDate, care_risk_event_after: Option<NaiveDate>) -> NaiveDate {
    next_assessment(last_assessed, care_risk_event_after).0
}

code_list! {
    /// Old-age allowance (高龄津贴) bands; the amounts are configured elsewhere.
    AllowanceBand {
        Age80to89 = "80_89" / "80–89周岁",
        Age90to99 = "90_99" / "90–99周岁",
        Age100Plus = "100_plus" / "100周岁及以上",
    }
}

impl AllowanceBand {
    /// The band for an age in completed years; `None` under 80.
    pub fn of_age(age: u32) -> Option<AllowanceBand> {
        match age {
            100.. => Some(AllowanceBand::Age100Plus),
            90..=99 => Some(AllowanceBand::Age90to99),
            80..=89 => Some(AllowanceBand::Age80to89),
            _ => None,
        }
    }
}

/// The band on `on` by age in completed years (a 29 February birthday completes the year on 1 March).
pub fn allowance_band(birth: NaiveDate, on: NaiveDate) -> Option<AllowanceBand> {
    AllowanceBand::of_age(age_on(birth, on))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn maxima() -> [u8; 26] {
        let mut a = [0; 26];
        for (slot, (_, _, m)) in a.iter_mut().zip(ITEMS) {
            *slot = *m;
        }
        a
    }

    fn body(items: &[u8; 26]) -> Value {
        let m: serde_json::Map<String, Value> = ITEMS
            .iter()
            .zip(items)
            .map(|((c, _, _), s)| (c.to_string(), json!(s)))
            .collect();
        json!({ "items": m, "coma": false, "dementia_or_mental_disorder": false, "care_risk_events_30d": 0 })
    }

    fn err(v: &Value) -> FieldError {
        validate_capability(v).unwrap_err()
    }

    /// Items summing to exactly `total`, filled from the first item on.
    fn with_total(total: u8) -> [u8; 26] {
        let mut left = total;
        let mut a = [0; 26];
        for (slot, (_, _, m)) in a.iter_mut().zip(ITEMS) {
            *slot = left.min(*m);
            left -= *slot;
        }
        assert_eq!(left, 0);
        a
    }

    #[test]
    fn tables_add_up() {
        assert_eq!(ITEMS.len(), 26);
        assert_eq!(ITEMS.iter().map(|(_, _, m)| u32::from(*m)).sum::<u32>(), 90);
        for (_, prefix, _, max) in DOMAINS {
            let s: u8 = ITEMS
                .iter()
                .filter(|(c, _, _)| c.starts_with(&format!("{prefix}.")))
                .map(|(_, _, m)| m)
                .sum();
            assert_eq!(s, *max, "{prefix}");
        }
    }

    #[test]
    fn full_marks_answer_is_the_documented_json() {
        let input = validate_capability(&body(&maxima())).unwrap();
        assert_eq!(
            serde_json::to_value(score(&input)).unwrap(),
            json!({ "total": 90, "domains": { "self_care": 32, "mobility": 15, "mental": 28, "perception_social": 15 },
                    "base_level": 0, "level": 0, "level_name": "能力完好", "adjustments": [] })
        );
    }

    #[test]
    fn level_boundaries() {
        for (total, level) in [
            (90, 0),
            (89, 1),
            (66, 1),
            (65, 2),
            (46, 2),
            (45, 3),
            (30, 3),
            (29, 4),
            (0, 4),
        ] {
            let input = CapabilityInput::new(with_total(total), false, false, 0).unwrap();
            let s = score(&input);
            assert_eq!((s.total, s.level), (total, level), "total {total}");
            assert_eq!(s.level_name, LEVEL_NAMES[level as usize]);
        }
    }

    #[test]
    fn adjustments() {
        let at = |total, coma, dem, ev| {
            score(&CapabilityInput::new(with_total(total), coma, dem, ev).unwrap())
        };
        let s = at(90, true, true, 5);
        assert_eq!((s.base_level, s.level), (0, 4));
        assert_eq!(s.adjustments, vec![Adjustment::Coma]);
        assert_eq!(s.level_name, "能力完全丧失（完全失能）");

        let s = at(70, false, true, 0);
        assert_eq!((s.base_level, s.level), (1, 2));
        assert_eq!(s.adjustments, vec![Adjustment::DementiaOrMentalDisorder]);

        let s = at(70, false, false, 1);
        assert_eq!(s.level, 1);
        assert!(s.adjustments.is_empty());

        // one step even when both hold, both listed in order
        let s = at(50, false, true, 2);
        assert_eq!((s.base_level, s.level), (2, 3));
        assert_eq!(
            serde_json::to_value(&s.adjustments).unwrap(),
            json!(["DEMENTIA_OR_MENTAL_DISORDER", "CARE_RISK_EVENTS"])
        );

        // never beyond 4, still listed
        let s = at(10, false, false, 3);
        assert_eq!((s.base_level, s.level), (4, 4));
        assert_eq!(s.adjustments, vec![Adjustment::CareRiskEvents]);
    }

    #[test]
    fn validation_names_the_field() {
        let mut b = body(&maxima());
        b["items"].as_object_mut().unwrap().remove("B.1.1");
        let e = err(&b);
        assert_eq!(e.field, "items.B.1.1");
        assert_eq!(e.message, "缺少必填字段：评估项目B.1.1“进食”");

        let mut b = body(&maxima());
        b["items"]["B.9.9"] = json!(1);
        assert_eq!(err(&b).field, "items.B.9.9");
        // the unknown key is named even when a known one is missing (a typo)
        let mut b = body(&maxima());
        let items = b["items"].as_object_mut().unwrap();
        items.remove("B.1.1");
        items.insert("B1.1".into(), json!(4));
        assert_eq!(err(&b).field, "items.B1.1");

        for bad in [json!(5), json!(-1), json!(2.5), json!(4.0), json!("4")] {
            let mut b = body(&maxima());
            b["items"]["B.2.4"] = bad;
            let e = err(&b);
            assert_eq!(e.field, "items.B.2.4");
            assert_eq!(e.message, "评估项目B.2.4“上下楼梯”的得分应为0–3的整数");
        }

        let mut b = body(&maxima());
        b["care_risk_events_30d"] = json!(-1);
        let e = err(&b);
        assert_eq!(e.field, "care_risk_events_30d");
        assert!(e.message.contains("不能为负数"), "{}", e.message);
        b["care_risk_events_30d"] = json!(1.5);
        assert_eq!(err(&b).field, "care_risk_events_30d");

        let mut b = body(&maxima());
        b.as_object_mut().unwrap().remove("coma");
        assert_eq!(err(&b).field, "coma");
        b["coma"] = json!("no");
        assert_eq!(err(&b).message, "是否昏迷应为 true 或 false");

        let mut b = body(&maxima());
        b["dementia_or_mental_disorder"] = Value::Null;
        assert_eq!(err(&b).field, "dementia_or_mental_disorder");

        assert_eq!(err(&json!([1])).field, "");
        assert_eq!(err(&json!({})).field, "items");
        assert_eq!(err(&json!({ "items": [] })).field, "items");
    }

    #[test]
    fn new_refuses_a_score_above_its_maximum() {
        let mut a = maxima();
        a[20] = 3;
        assert_eq!(
            CapabilityInput::new(a, false, false, 0).unwrap_err().field,
            "items.B.3.9"
        );
    }

    #[test]
    fn due_dates() {
        assert_eq!(next_due(d("2024-02-29"), None), d("2025-02-28"));
        assert_eq!(
            next_assessment(d("2024-03-15"), None),
            (d("2025-03-15"), AssessmentReason::Routine)
        );
        assert_eq!(
            next_assessment(d("2024-03-15"), Some(d("2024-06-01"))),
            (d("2024-06-01"), AssessmentReason::Immediate)
        );
        // an event known to the last assessment, or before it, changes nothing
        assert_eq!(
            next_due(d("2024-03-15"), Some(d("2024-03-15"))),
            d("2025-03-15")
        );
        assert_eq!(
            next_due(d("2024-03-15"), Some(d("2024-01-01"))),
            d("2025-03-15")
        );
        // the routine date came first
        assert_eq!(
            next_due(d("2024-03-15"), Some(d("2025-05-01"))),
            d("2025-03-15")
        );
        assert_eq!(AssessmentReason::Review.label(), "复评");
        assert_eq!(
            AssessmentReason::parse("immediate"),
            Some(AssessmentReason::Immediate)
        );
    }

    #[test]
    fn allowance_bands() {
        let b = d("1944-03-01");
        assert_eq!(allowance_band(b, d("2024-02-29")), None);
        assert_eq!(
            allowance_band(b, d("2024-03-01")),
            Some(AllowanceBand::Age80to89)
        );
        assert_eq!(
            allowance_band(b, d("2034-03-01")),
            Some(AllowanceBand::Age90to99)
        );
        assert_eq!(
            allowance_band(b, d("2044-02-29")),
            Some(AllowanceBand::Age90to99)
        );
        assert_eq!(
            allowance_band(b, d("2044-03-01")),
            Some(AllowanceBand::Age100Plus)
        );
        assert_eq!(
            allowance_band(b, d("2100-01-01")),
            Some(AllowanceBand::Age100Plus)
        );
        // a 29 February birthday
        assert_eq!(allowance_band(d("1944-02-29"), d("2024-02-28")), None);
        assert_eq!(
            allowance_band(d("1944-02-29"), d("2024-02-29")),
            Some(AllowanceBand::Age80to89)
        );
        assert_eq!(AllowanceBand::Age100Plus.code(), "100_plus");
        assert_eq!(
            AllowanceBand::parse("90_99"),
            Some(AllowanceBand::Age90to99)
        );
    }

    #[test]
    fn input_serialises_as_the_request_and_reads_back() {
        let input = CapabilityInput::new(with_total(47), false, true, 3).unwrap();
        let v = serde_json::to_value(&input).unwrap();
        assert_eq!(v["items"]["B.1.1"], json!(4));
        assert_eq!(v["care_risk_events_30d"], json!(3));
        assert_eq!(validate_capability(&v).unwrap(), input);
        let back: CapabilityInput = serde_json::from_value(v).unwrap();
        assert_eq!(back, input);
        assert_eq!(input.item("B.2.4"), Some(3));
        assert_eq!(input.item("B.9"), None);
    }

    fn items() -> impl Strategy<Value = [u8; 26]> {
        ITEMS
            .iter()
            .map(|(_, _, m)| 0..=*m)
            .collect::<Vec<_>>()
            .prop_map(|v| v.try_into().unwrap())
    }

    proptest! {
        #[test]
        fn total_is_the_sum_of_domains(a in items(), coma: bool, dem: bool, ev in 0u32..5) {
            let s = score(&CapabilityInput::new(a, coma, dem, ev).unwrap());
            let d = s.domains;
            prop_assert_eq!(s.total, d.self_care + d.mobility + d.mental + d.perception_social);
            prop_assert!(s.total <= 90);
            prop_assert!(d.self_care <= 32 && d.mobility <= 15 && d.mental <= 28 && d.perception_social <= 15);
            prop_assert!(s.level <= 4);
            prop_assert_eq!(s.level_name.as_str(), LEVEL_NAMES[s.level as usize]);
        }

        #[test]
        fn a_better_item_never_worsens_the_level(a in items(), i in 0..26usize, dem: bool, ev in 0u32..5) {
            prop_assume!(a[i] < ITEMS[i].2);
            let mut better = a;
            better[i] += 1;
            let s0 = score(&CapabilityInput::new(a, false, false, 0).unwrap());
            let s1 = score(&CapabilityInput::new(better, false, false, 0).unwrap());
            prop_assert!(s1.level <= s0.level);
            // and with the same adjustments
            let t0 = score(&CapabilityInput::new(a, false, dem, ev).unwrap());
            let t1 = score(&CapabilityInput::new(better, false, dem, ev).unwrap());
            prop_assert!(t1.level <= t0.level);
        }

        #[test]
        fn adjustments_never_improve(a in items(), coma: bool, dem: bool, ev in 0u32..5) {
            let s = score(&CapabilityInput::new(a, coma, dem, ev).unwrap());
            prop_assert!(s.level >= s.base_level);
            prop_assert!(s.level <= s.base_level + 1 || coma);
            if s.adjustments.is_empty() {
                prop_assert_eq!(s.level, s.base_level);
            }
        }

        #[test]
        fn coma_is_always_level_4(a in items(), dem: bool, ev in 0u32..5) {
            let s = score(&CapabilityInput::new(a, true, dem, ev).unwrap());
            prop_assert_eq!(s.level, 4);
            prop_assert_eq!(s.adjustments, vec![Adjustment::Coma]);
        }

        #[test]
        fn validate_reads_what_serialise_writes(a in items(), coma: bool, dem: bool, ev: u32) {
            let input = CapabilityInput::new(a, coma, dem, ev).unwrap();
            let v = serde_json::to_value(&input).unwrap();
            prop_assert_eq!(validate_capability(&v).unwrap(), input);
            let plain = validate_capability(&body(&a)).unwrap();
            prop_assert_eq!(plain.items(), &a);
        }

        #[test]
        fn routine_due_is_a_year_on(y in 1950i32..2100, ord in 1u32..=365, ev_days in proptest::option::of(-400i64..800)) {
            let last = NaiveDate::from_yo_opt(y, ord).unwrap();
            let ev = ev_days.map(|n| last + chrono::Duration::days(n));
            let (due, why) = next_assessment(last, ev);
            let routine = next_due(last, None);
            prop_assert!(due > last && due <= routine);
            prop_assert!(routine.signed_duration_since(last).num_days() >= 365);
            prop_assert_eq!(why == AssessmentReason::Immediate, due != routine);
        }
    }
}
