//! The departmental sources (DOMAIN §4.8) and the columns of their files. A row is validated here, as plain data,
//! before anything is stored: the loader reports every bad row with its row number and column.

use crate::money::Fen;
use chrono::NaiveDate;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Deaths,
    Vehicles,
    RealEstate,
    Business,
    SocialInsurance,
    HousingFund,
    PublicPayroll,
    Deposits,
    Disability,
    SeriousIllness,
    Custody,
    HukouMoves,
}

/// What a cell must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// GB 11643 identity number.
    IdNumber,
    /// Free text, required, at most 200 characters.
    Text,
    /// YYYY-MM-DD.
    Date,
    /// YYYY-MM-DD or empty.
    OptionalDate,
    /// YYYY-MM.
    Month,
    /// Yuan with at most 2 decimals, not negative; stored as fen.
    Money,
    /// A measure with at most 2 decimals (m²), stored in hundredths.
    Hundredths,
    /// One of the listed codes.
    Enum(&'static [&'static str]),
    /// A whole number in the range.
    Int(i64, i64),
    /// An administrative area code of 6 to 12 digits.
    AreaCode,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Header name in the file.
    pub name: &'static str,
    /// Column name in the database (`from`/`to`/`use` are SQL words).
    pub db: &'static str,
    pub label: &'static str,
    pub kind: ColumnKind,
}

const fn col(
    name: &'static str,
    db: &'static str,
    label: &'static str,
    kind: ColumnKind,
) -> Column {
    Column {
        name,
        db,
        label,
        kind,
    }
}

pub const VEHICLE_KINDS: &[&str] = &["car", "truck", "motorcycle", "mobility", "farm"];
pub const PROPERTY_USES: &[&str] = &["residential", "commercial", "other"];
pub const BUSINESS_ROLES: &[&str] = &["legal_rep", "shareholder", "individual_business"];
pub const CUSTODY_KINDS: &[&str] = &["prison", "drug_rehab"];
pub const DISABILITY_KINDS: &[&str] = &[
    "limb",
    "visual",
    "hearing",
    "speech",
    "intellectual",
    "mental",
    "multiple",
];

const ID: Column = col("id_number", "id_number", "身份证号", ColumnKind::IdNumber);

impl Source {
    pub const ALL: [Source; 12] = [
        Source::Deaths,
        Source::Vehicles,
        Source::RealEstate,
        Source::Business,
        Source::SocialInsurance,
        Source::HousingFund,
        Source::PublicPayroll,
        Source::Deposits,
        Source::Disability,
        Source::SeriousIllness,
        Source::Custody,
        Source::HukouMoves,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Source::Deaths => "deaths",
            Source::Vehicles => "vehicles",
            Source::RealEstate => "real_estate",
            Source::Business => "business",
            Source::SocialInsurance => "social_insurance",
            Source::HousingFund => "housing_fund",
            Source::PublicPayroll => "public_payroll",
            Source::Deposits => "deposits",
            Source::Disability => "disability",
            Source::SeriousIllness => "serious_illness",
            Source::Custody => "custody",
            Source::HukouMoves => "hukou_moves",
        }
    }

    pub fn from_code(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Deaths => "死亡和火化信息",
            Source::Vehicles => "机动车登记",
            Source::RealEstate => "不动产登记",
            Source::Business => "市场主体登记",
            Source::SocialInsurance => "社会保险和养老金",
            Source::HousingFund => "住房公积金",
            Source::PublicPayroll => "财政供养人员",
            Source::Deposits => "金融资产",
            Source::Disability => "残疾人登记",
            Source::SeriousIllness => "重特大疾病和医疗费用",
            Source::Custody => "服刑和强制隔离戒毒",
            Source::HukouMoves => "户籍迁出",
        }
    }

    pub fn department(self) -> &'static str {
        match self {
            Source::Deaths => "公安 / 殡葬",
            Source::Vehicles => "公安车管",
            Source::RealEstate => "不动产登记中心",
            Source::Business => "市场监管局",
            Source::SocialInsurance => "人社局",
            Source::HousingFund => "公积金中心",
            Source::PublicPayroll => "财政局 / 编办",
            Source::Deposits => "金融机构",
            Source::Disability => "残联",
            Source::SeriousIllness => "医保局",
            Source::Custody => "司法局 / 公安",
            Source::HukouMoves => "公安户籍",
        }
    }

    /// A register (vehicles, homes, payroll …) is sent whole each time: its latest load as of the check date is the
    /// department's current state, and a car sold since no longer shows. Events (deaths, moves, monthly insurance
    /// and fund records) accumulate over loads.
    pub fn is_register(self) -> bool {
        !matches!(
            self,
            Source::Deaths | Source::HukouMoves | Source::SocialInsurance | Source::HousingFund
        )
    }

    /// The table that keeps every row of every load of this source.
    pub fn table(self) -> String {
        format!("src_{}", self.code())
    }

    /// The file's columns, `id_number` first.
    pub fn columns(self) -> &'static [Column] {
        use ColumnKind::*;
        match self {
            Source::Deaths => {
                const C: &[Column] = &[
                    ID,
                    col("name", "name", "姓名", Text),
                    col("date_of_death", "date_of_death", "死亡日期", Date),
                ];
                C
            }
            Source::Vehicles => {
                const C: &[Column] = &[
                    ID,
                    col("plate", "plate", "号牌", Text),
                    col(
                        "vehicle_kind",
                        "vehicle_kind",
                        "车辆类型",
                        Enum(VEHICLE_KINDS),
                    ),
                    col("registered_on", "registered_on", "登记日期", Date),
                ];
                C
            }
            Source::RealEstate => {
                const C: &[Column] = &[
                    ID,
                    col("property_id", "property_id", "不动产单元号", Text),
                    col("use", "property_use", "用途", Enum(PROPERTY_USES)),
                    col("area_m2", "area_m2", "面积", Hundredths),
                    col("registered_on", "registered_on", "登记日期", Date),
                ];
                C
            }
            Source::Business => {
                const C: &[Column] = &[
                    ID,
                    col("enterprise_name", "enterprise_name", "企业名称", Text),
                    col("credit_code", "credit_code", "统一社会信用代码", Text),
                    col("role", "role", "身份", Enum(BUSINESS_ROLES)),
                    col(
                        "registered_capital",
                        "registered_capital",
                        "注册资本",
                        Money,
                    ),
                ];
                C
            }
            Source::SocialInsurance => {
                const C: &[Column] = &[
                    ID,
                    col("month", "month", "月份", Month),
                    col("wage_base", "wage_base", "缴费基数", Money),
                    col("pension_paid", "pension_paid", "养老金", Money),
                ];
                C
            }
            Source::HousingFund => {
                const C: &[Column] = &[
                    ID,
                    col("month", "month", "月份", Month),
                    col("contribution", "contribution", "缴存额", Money),
                ];
                C
            }
            Source::PublicPayroll => {
                const C: &[Column] = &[ID, col("employer", "employer", "单位", Text)];
                C
            }
            Source::Deposits => {
                const C: &[Column] = &[
                    ID,
                    col("institution", "institution", "金融机构", Text),
                    col("balance", "balance", "余额", Money),
                    col("as_of", "as_of", "余额日期", Date),
                ];
                C
            }
            Source::Disability => {
                const C: &[Column] = &[
                    ID,
                    col("kind", "kind", "残疾类别", Enum(DISABILITY_KINDS)),
                    col("grade", "grade", "残疾等级", Int(1, 4)),
                    col("certified_on", "certified_on", "发证日期", Date),
                ];
                C
            }
            Source::SeriousIllness => {
                const C: &[Column] = &[
                    ID,
                    col("diagnosis", "diagnosis", "诊断", Text),
                    col(
                        "out_of_pocket_12m",
                        "out_of_pocket_12m",
                        "近12个月自付医疗费用",
                        Money,
                    ),
                ];
                C
            }
            Source::Custody => {
                const C: &[Column] = &[
                    ID,
                    col("kind", "kind", "类型", Enum(CUSTODY_KINDS)),
                    col("from", "from_on", "开始日期", Date),
                    col("to", "to_on", "结束日期", OptionalDate),
                ];
                C
            }
            Source::HukouMoves => {
                const C: &[Column] = &[
                    ID,
                    col("moved_out_on", "moved_out_on", "迁出日期", Date),
                    col(
                        "destination_code",
                        "destination_code",
                        "迁往地区代码",
                        AreaCode,
                    ),
                ];
                C
            }
        }
    }
}

/// A validated cell, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Date(NaiveDate),
    Int(i64),
    Null,
}

pub use crate::import::RowError;

/// Checks that the header names every column of the source (in any order, extra columns ignored) and returns,
/// for each of the source's columns, its position in the file.
pub fn map_header(source: Source, header: &[String]) -> Result<Vec<usize>, RowError> {
    let norm: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let mut missing = Vec::new();
    let mut pos = Vec::new();
    for c in source.columns() {
        match norm.iter().position(|h| h == c.name) {
            Some(p) => pos.push(p),
            None => missing.push(c.name),
        }
    }
    if missing.is_empty() {
        Ok(pos)
    } else {
        Err(RowError {
            file: None,
            row: 1,
            column: missing.join(","),
            message: format!(
                "表头缺少列：{}（{}文件应有列：{}）",
                missing.join("、"),
                source.label(),
                source
                    .columns()
                    .iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        })
    }
}

/// Validates one row. `cells[i]` is the text of the source's i-th column (already picked by `map_header`).
/// Every bad cell of the row is reported, not just the first.
pub fn parse_row(
    source: Source,
    row: u64,
    cells: &[&str],
    today: NaiveDate,
    out: &mut Vec<Cell>,
    errors: &mut Vec<RowError>,
) {
    out.clear();
    for (c, raw) in source.columns().iter().zip(cells) {
        match parse_cell(c.kind, raw.trim(), today) {
            Ok(v) => out.push(v),
            Err(msg) => {
                out.push(Cell::Null);
                errors.push(RowError {
                    file: None,
                    row,
                    column: c.name.into(),
                    message: format!("{}：{}", c.label, msg),
                });
            }
        }
    }
}

fn parse_cell(kind: ColumnKind, s: &str, today: NaiveDate) -> Result<Cell, String> {
    use ColumnKind::*;
    if s.is_empty() {
        return if kind == OptionalDate {
            Ok(Cell::Null)
        } else {
            Err("不能为空".into())
        };
    }
    match kind {
        IdNumber => crate::idnumber::IdNumber::parse(s, today)
            .map(|id| Cell::Text(id.as_str().to_string()))
            .map_err(|e| e.to_string()),
        Text => {
            if s.chars().count() > 200 {
                Err("不能超过200个字".into())
            } else {
                Ok(Cell::Text(s.to_string()))
            }
        }
        Date | OptionalDate => {
            let d = parse_date(s).ok_or_else(|| format!("“{s}”不是日期（应为 YYYY-MM-DD）"))?;
            // an event (a death, a registration, a move) has happened by the time it is reported; an end date (a
            // custody term's) may lie ahead, within reason
            let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).expect("date");
            let latest = if kind == Date {
                today
            } else {
                NaiveDate::from_ymd_opt(2199, 12, 31).expect("date")
            };
            if d < earliest || d > latest {
                Err(format!(
                    "“{s}”超出合理范围（应在 {earliest} 至 {latest} 之间）"
                ))
            } else {
                Ok(Cell::Date(d))
            }
        }
        Month => {
            let ok = is_month(s);
            if ok {
                Ok(Cell::Text(s.to_string()))
            } else {
                Err(format!("“{s}”不是月份（应为 YYYY-MM）"))
            }
        }
        Money => match Fen::parse_yuan(s) {
            Ok(f) if f.0 >= 0 => Ok(Cell::Int(f.0)),
            Ok(_) => Err("金额不能为负数".into()),
            Err(_) => Err(format!("“{s}”不是金额（元，最多两位小数）")),
        },
        Hundredths => match Fen::parse_yuan(s) {
            Ok(f) if f.0 >= 0 => Ok(Cell::Int(f.0)),
            _ => Err(format!("“{s}”不是面积（最多两位小数）")),
        },
        Enum(codes) => {
            let l = s.to_ascii_lowercase();
            codes
                .iter()
                .find(|c| **c == l)
                .map(|c| Cell::Text((*c).to_string()))
                .ok_or_else(|| format!("“{s}”不是可选值（{}）", codes.join("、")))
        }
        Int(lo, hi) => match s.parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(Cell::Int(n)),
            _ => Err(format!("“{s}”应为{lo}到{hi}的整数")),
        },
        AreaCode => {
            if (6..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
                Ok(Cell::Text(s.to_string()))
            } else {
                Err(format!("“{s}”不是行政区划代码（6至12位数字）"))
            }
        }
    }
}

/// `YYYY-MM-DD`; also `YYYY/MM/DD`, which spreadsheets write.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    // the usual ten-character form without chrono's format parser (a load of millions of rows parses a date or two
    // per row); any other text goes through chrono, so the two accept exactly the same
    let b = s.as_bytes();
    if b.len() == 10
        && b[4] == b[7]
        && (b[4] == b'-' || b[4] == b'/')
        && let (Some(y), Some(m), Some(d)) = (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10]))
    {
        return NaiveDate::from_ymd_opt(y as i32, m, d);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .ok()
}

/// `YYYY-MM`.
fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 7 || b[4] != b'-' {
        return false;
    }
    if let (Some(y), Some(m)) = (digits(&b[0..4]), digits(&b[5..7])) {
        return NaiveDate::from_ymd_opt(y as i32, m, 1).is_some();
    }
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").is_ok()
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // the fast path must accept and read exactly what chrono does
        #[test]
        fn dates_and_months_parse_as_chrono_parses_them(s in "[0-9]{0,5}[-/]?[0-9+ ]{0,3}[-/]?[0-9]{0,3}",
                                                       y in 0i32..=9999, m in 0u32..=13, d in 0u32..=32) {
            let chrono_date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d")).ok();
            let chrono_month = |s: &str| s.len() == 7 && s.as_bytes()[4] == b'-'
                && NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").is_ok();
            for t in [s.clone(), format!("{y:04}-{m:02}-{d:02}"), format!("{y:04}/{m:02}/{d:02}"), format!("{y:04}-{m:02}")] {
                prop_assert_eq!(parse_date(&t), chrono_date(&t), "{}", t);
                prop_assert_eq!(is_month(&t), chrono_month(&t), "{}", t);
            }
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 12, 31).unwrap()
    }

    #[test]
    fn dates_are_within_reason() {
        let d = |kind, s: &str| parse_cell(kind, s, today());
        assert!(matches!(
            d(ColumnKind::Date, "2020-06-01"),
            Ok(Cell::Date(_))
        ));
        // a death reported before it happens, or in the nineteenth century
        assert!(
            d(ColumnKind::Date, "2999-01-01")
                .unwrap_err()
                .contains("合理范围")
        );
        assert!(d(ColumnKind::Date, "2021-01-01").is_err());
        assert!(d(ColumnKind::Date, "1899-12-31").is_err());
        // a custody term may end after the report
        assert!(matches!(
            d(ColumnKind::OptionalDate, "2030-01-09"),
            Ok(Cell::Date(_))
        ));
        assert!(d(ColumnKind::OptionalDate, "9999-12-31").is_err());
    }

    #[test]
    fn every_source_starts_with_the_identity_number() {
        for s in Source::ALL {
            assert_eq!(s.columns()[0].name, "id_number", "{s:?}");
            assert_eq!(Source::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn header_in_any_order_with_a_bom() {
        let h: Vec<String> = [
            "\u{feff}plate",
            "registered_on",
            "ID_NUMBER",
            "vehicle_kind",
            "extra",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(map_header(Source::Vehicles, &h).unwrap(), vec![2, 0, 3, 1]);
        let e = map_header(Source::Vehicles, &h[..2]).unwrap_err();
        assert!(e.message.contains("id_number"), "{}", e.message);
    }

    #[test]
    fn bad_cells_are_all_named() {
        let mut out = Vec::new();
        let mut errs = Vec::new();
        parse_row(
            Source::Vehicles,
            7,
            &["320281195001010012", "苏B1", "tank", "2020-13-01"],
            today(),
            &mut out,
            &mut errs,
        );
        let cols: Vec<&str> = errs.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(cols, ["id_number", "vehicle_kind", "registered_on"]);
        assert!(errs.iter().all(|e| e.row == 7));
        errs.clear();
        parse_row(
            Source::Vehicles,
            8,
            &["320281195001010013", "苏B1", "Car", "2020/05/01"],
            today(),
            &mut out,
            &mut errs,
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(out[2], Cell::Text("car".into()));
    }

    #[test]
    fn money_months_and_optional_dates() {
        let mut out = Vec::new();
        let mut errs = Vec::new();
        parse_row(
            Source::SocialInsurance,
            2,
            &["320281195001010013", "2020-06", "4500.50", "0"],
            today(),
            &mut out,
            &mut errs,
        );
        assert!(errs.is_empty());
        assert_eq!(out[2], Cell::Int(450_050));
        parse_row(
            Source::SocialInsurance,
            3,
            &["320281195001010013", "2020-6", "-1", "1.234"],
            today(),
            &mut out,
            &mut errs,
        );
        assert_eq!(errs.len(), 3, "{errs:?}");
        errs.clear();
        parse_row(
            Source::Custody,
            4,
            &["320281195001010013", "prison", "2019-01-01", ""],
            today(),
            &mut out,
            &mut errs,
        );
        assert!(errs.is_empty());
        assert_eq!(out[3], Cell::Null);
    }
}
