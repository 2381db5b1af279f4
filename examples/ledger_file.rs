//! Writes a synthetic town ledger (台账) XLSX for benchmarks: `ledger_file OUT.xlsx HOUSEHOLDS MEMBERS TOWN_CODE`.
//! Valid, unique identity numbers; villages of the given Jiangyin town; deterministic.

use chrono::{Duration, NaiveDate};
use minzheng_domain::idnumber::IdNumber;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .ok_or("usage: ledger_file OUT.xlsx HOUSEHOLDS MEMBERS TOWN_CODE")?;
    let households: u32 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let members: u32 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let town = args.get(4).cloned().unwrap_or_else(|| "320281001".into());
    let villages: Vec<String> = minzheng::app::areas::JIANGYIN_CSV
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.len() == 4 && f[3] == "village" && f[2] == town).then(|| f[0].to_string())
        })
        .collect();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in minzheng::app::assistance::ledger::HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    let base = NaiveDate::from_ymd_opt(1930, 1, 1).ok_or("date")?;
    let mut row = 1u32;
    for h in 0..households {
        for m in 0..members {
            let n = h * members + m;
            // day × 500 sequence slots gives every row its own number
            let birth = base + Duration::days(i64::from(n / 500) % 30_000);
            let id = IdNumber::compose("320281", birth, ((n % 500) * 2) as u16);
            let cells = [
                format!("B{h:07}"),
                villages[(h as usize) % villages.len()].clone(),
                format!("测试{h}"),
                id.to_string(),
                if m == 0 {
                    "户主".into()
                } else {
                    "子女".into()
                },
                "低保".into(),
                "800.00".into(),
                format!("62284800{h:011}"),
                "2020-01".into(),
                format!("测试路{h}号"),
            ];
            for (c, v) in cells.iter().enumerate() {
                ws.write_string(row, c as u16, v)?;
            }
            row += 1;
        }
    }
    wb.save(out)?;
    println!("{} rows", row - 1);
    Ok(())
}
