//! The year's targets as XLSX: every indicator with its status, and the town breakdowns, within the caller's scope.

use super::Dashboard;
use crate::app::{App, AppResult, Ctx};

const HEADER: [&str; 12] = [
    "编号",
    "事项",
    "指标",
    "判定",
    "目标值",
    "单位",
    "当前值",
    "状态",
    "来源",
    "数据说明",
    "责任科室",
    "判定日期",
];

pub fn to_xlsx(d: &Dashboard) -> anyhow::Result<Vec<u8>> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(format!("{}年度目标", d.year))?;
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, e) in d.indicators.iter().enumerate() {
        let item = d.items.iter().find(|i| i.item == e.row.item);
        let row = r as u32 + 1;
        // figures stay text: a spreadsheet must not re-round 99.99 % to 100 %
        let cells = [
            e.row.id.clone(),
            format!("{}、{}", e.row.item, item.map_or("", |i| i.title.as_str())),
            e.row.target.clone(),
            e.kind.symbol().to_string(),
            e.row.value.clone(),
            minzheng_domain::targets::unit_label(&e.row.unit),
            e.current_text().unwrap_or_else(|| "—".into()),
            e.status.label().to_string(),
            if e.computed() {
                "平台计算"
            } else {
                "科室填报"
            }
            .to_string(),
            e.note.clone(),
            item.map_or(String::new(), |i| i.sections.clone()),
            d.judged_on.to_string(),
        ];
        for (c, v) in cells.iter().enumerate() {
            ws.write_string(row, c as u16, v)?;
        }
    }
    ws.set_column_width(1, 30)?;
    ws.set_column_width(2, 40)?;
    ws.set_column_width(9, 40)?;
    ws.set_column_width(10, 30)?;
    let ws2 = wb.add_worksheet();
    ws2.set_name("各镇(街道)")?;
    let mut r = 0u32;
    for (title, cols, rows) in [
        (
            "城乡最低收入家庭人均年收入（T08.3）",
            ["镇(街道)", "家庭户数", "低于目标户数", "最低人均年收入(元)"],
            &d.income_by_town,
        ),
        (
            "精准救助率（T10.1）",
            ["镇(街道)", "核对对象", "符合条件", "精准救助率(%)"],
            &d.precision_by_town,
        ),
    ] {
        ws2.write_string_with_format(r, 0, title, &bold)?;
        r += 1;
        for (c, h) in cols.iter().enumerate() {
            ws2.write_string_with_format(r, c as u16, *h, &bold)?;
        }
        r += 1;
        for t in rows {
            ws2.write_string(r, 0, &t.town_name)?;
            ws2.write_number(r, 1, t.count as f64)?;
            ws2.write_number(r, 2, t.other as f64)?;
            ws2.write_string(r, 3, t.figure.as_deref().unwrap_or("—"))?;
            r += 1;
        }
        r += 1;
    }
    ws2.set_column_width(0, 36)?;
    Ok(wb.save_to_buffer()?)
}

pub async fn export(app: &App, ctx: &Ctx, year: i32) -> AppResult<Vec<u8>> {
    let d = super::dashboard(app, ctx, year).await?;
    Ok(crate::util::blocking(move || to_xlsx(&d)).await??)
}
