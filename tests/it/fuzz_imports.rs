//! Property-based fuzzing of every import parser, on both backends: departmental source files (CSV and XLSX), the
//! assistance ledger (XLSX), the year's plan (two CSV files), the holiday calendar and the areas. Inputs are files
//! of the right shape with hostile cells, mutations of the shipped files (cells replaced, lines dropped or
//! doubled, bytes flipped, truncation), broken XLSX archives and random bytes. Whatever comes in: no panic, no
//! internal error, and every refusal in Chinese, naming every bad row in Chinese. Bounded: `PROPTEST_CASES`
//! files per parser (default 12).

use crate::common;

use crate::common::{Backend, TestApp};
use minzheng::app::authz::{Actor, Role};
use minzheng::app::{AppError, Ctx};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A refusal as the platform shows it: not an internal error, in Chinese, every listed row in Chinese.
fn check_refusal(what: &str, e: &AppError, rows: &[String]) -> Result<(), TestCaseError> {
    prop_assert!(
        !matches!(e, AppError::Internal(_)),
        "{what}: internal error: {e:#?}"
    );
    prop_assert!(has_chinese(&e.to_string()), "{what}: not Chinese: {e}");
    for r in rows {
        prop_assert!(has_chinese(r), "{what}: row message not Chinese: {r}");
    }
    Ok(())
}

/// A hostile cell: huge, controls, direction overrides, formulas, wrong kinds of numbers and dates.
fn nasty_cell() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just("x".repeat(70_000)),
        Just("\u{0}\u{7}\u{1b}".to_string()),
        Just("张\u{202E}三\u{200B}".to_string()),
        Just("=HYPERLINK(\"http://evil\")".to_string()),
        Just("\"unterminated".to_string()),
        Just("a,b\nc".to_string()),
        Just("9999-12-31".to_string()),
        Just("2020-02-30".to_string()),
        Just("-0.001".to_string()),
        Just("1e400".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("320281195001024171".to_string()),
        Just("32028119500102417X".to_string()),
        Just("𠀀🙂".to_string()),
        "\\PC{0,30}",
    ]
    .boxed()
}

/// A cell that may well be valid.
fn plausible_cell() -> BoxedStrategy<String> {
    prop_oneof![
        "[0-9]{1,6}",
        "[0-9]{1,5}\\.[0-9]{2}",
        "(19[5-9][0-9]|20[0-2][0-9])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])",
        "20[0-2][0-9]-(0[1-9]|1[0-2])",
        "[\\u{4e00}-\\u{9fa5}]{2,4}",
        Just("320281195001024171".to_string()),
        Just("320281001001".to_string()),
        Just("户主".to_string()),
        Just("低保".to_string()),
    ]
    .boxed()
}

fn cell() -> BoxedStrategy<String> {
    prop_oneof![3 => plausible_cell(), 1 => nasty_cell()].boxed()
}

/// A valid identity number of a person born 1930–2010.
fn id_number() -> BoxedStrategy<String> {
    (0i64..29_000, 0u16..1000)
        .prop_map(|(d, seq)| {
            let birth =
                chrono::NaiveDate::from_ymd_opt(1930, 1, 1).unwrap() + chrono::Duration::days(d);
            minzheng_domain::idnumber::IdNumber::compose("320281", birth, seq).to_string()
        })
        .boxed()
}

/// A table: `header` (sometimes shuffled or cut), then rows whose cells are each column's plausible value, or
/// hostile.
fn table(
    header: Vec<String>,
    columns: Vec<BoxedStrategy<String>>,
) -> BoxedStrategy<Vec<Vec<String>>> {
    let n = header.len();
    let header = prop_oneof![
        6 => Just(header.clone()),
        1 => Just(header.clone()).prop_shuffle(),
        1 => (0..n.max(1)).prop_map(move |k| header[..k].to_vec()),
    ];
    let row: Vec<BoxedStrategy<String>> = columns
        .into_iter()
        .map(|c| prop_oneof![12 => c, 1 => nasty_cell()].boxed())
        .collect();
    let rows = prop_oneof![
        4 => prop::collection::vec(row, 1..6),
        1 => prop::collection::vec(prop::collection::vec(cell(), 0..n + 2), 0..4),
    ];
    (header, rows)
        .prop_map(|(h, rows)| std::iter::once(h).chain(rows).collect())
        .boxed()
}

/// What a column of a departmental source holds when it is right.
fn source_cell(kind: minzheng_domain::verification::ColumnKind) -> BoxedStrategy<String> {
    use minzheng_domain::verification::ColumnKind as K;
    match kind {
        K::IdNumber => id_number(),
        K::Text => "[\\u{4e00}-\\u{9fa5}]{2,10}".boxed(),
        K::Date => "20(1[0-9]|20)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])".boxed(),
        K::OptionalDate => prop_oneof![
            Just(String::new()),
            "20(1[0-9]|20)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
        ]
        .boxed(),
        K::Month => "20(1[0-9]|20)-(0[1-9]|1[0-2])".boxed(),
        K::Money | K::Hundredths => "[0-9]{1,6}(\\.[0-9]{1,2})?".boxed(),
        K::Enum(codes) => {
            proptest::sample::select(codes.iter().map(|c| c.to_string()).collect::<Vec<_>>())
                .boxed()
        }
        K::Int(lo, hi) => (lo..=hi).prop_map(|v| v.to_string()).boxed(),
        K::AreaCode => prop_oneof![
            Just("320281001".to_string()),
            Just("320281001001".to_string())
        ]
        .boxed(),
    }
}

fn csv_text(t: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(vec![]);
    for r in t {
        w.write_record(r).unwrap();
    }
    w.into_inner().unwrap()
}

fn xlsx_bytes(t: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in t.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            // XLSX keeps at most 32,767 characters a cell
            let v: String = v.chars().take(32_000).collect();
            match v.parse::<f64>() {
                Ok(n) if n.is_finite() && v.len() < 12 => ws.write_number(r as u32, c as u16, n),
                _ => ws.write_string(r as u32, c as u16, &v),
            }
            .unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

/// Damage done to a good file.
#[derive(Debug, Clone)]
enum Mutation {
    /// One comma-separated cell of one line replaced.
    Cell(Index, Index, String),
    DropLine(Index),
    DoubleLine(Index),
    Truncate(Index),
    Flip(Index, u8),
    Insert(Index, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), any::<Index>(), nasty_cell()).prop_map(|(l, c, v)| Mutation::Cell(l, c, v)),
        1 => any::<Index>().prop_map(Mutation::DropLine),
        1 => any::<Index>().prop_map(Mutation::DoubleLine),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, b)| Mutation::Insert(i, b)),
    ]
}

fn mutate(good: &[u8], ms: &[Mutation]) -> Vec<u8> {
    let mut b = good.to_vec();
    for m in ms {
        let text = String::from_utf8_lossy(&b).into_owned();
        let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        match m {
            Mutation::Cell(l, c, v) => {
                let l = l.index(lines.len());
                let mut cells: Vec<String> = lines[l].split(',').map(str::to_string).collect();
                let c = c.index(cells.len());
                cells[c] = v.clone();
                lines[l] = cells.join(",");
                b = lines.join("\n").into_bytes();
            }
            Mutation::DropLine(l) => {
                lines.remove(l.index(lines.len()));
                b = lines.join("\n").into_bytes();
            }
            Mutation::DoubleLine(l) => {
                let l = l.index(lines.len());
                lines.insert(l, lines[l].clone());
                b = lines.join("\n").into_bytes();
            }
            Mutation::Truncate(i) if !b.is_empty() => b.truncate(i.index(b.len())),
            Mutation::Flip(i, x) if !b.is_empty() => {
                let i = i.index(b.len());
                b[i] ^= x | 1;
            }
            Mutation::Insert(i, bytes) => {
                let i = i.index(b.len() + 1);
                b.splice(i..i, bytes.iter().copied());
            }
            _ => {}
        }
    }
    b
}

/// A good file, damaged, or random bytes.
fn damaged(good: Vec<u8>) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        6 => prop::collection::vec(mutation(), 0..4).prop_map(move |ms| mutate(&good, &ms)),
        1 => prop::collection::vec(any::<u8>(), 0..2000),
    ]
    .boxed()
}

/// Binary damage only (an XLSX archive): bytes flipped, inserted, or the archive cut short.
fn damaged_binary(good: Vec<u8>) -> BoxedStrategy<Vec<u8>> {
    let op = prop_oneof![
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
    ];
    prop::collection::vec(op, 1..3)
        .prop_map(move |ms| {
            let mut b = good.clone();
            for m in &ms {
                match m {
                    Mutation::Truncate(i) => b.truncate(i.index(b.len())),
                    Mutation::Flip(i, x) => {
                        let i = i.index(b.len());
                        b[i] ^= x | 1;
                    }
                    Mutation::Insert(i, bytes) => {
                        let i = i.index(b.len() + 1);
                        b.splice(i..i, bytes.iter().copied());
                    }
                    _ => {}
                }
            }
            b
        })
        .boxed()
}

/// How many files a parser took and refused, printed at the end: the fuzzing reaches past the first check.
#[derive(Default)]
struct Tally {
    taken: std::sync::atomic::AtomicU32,
    refused: std::sync::atomic::AtomicU32,
}

impl Tally {
    fn count<T, E>(&self, r: &Result<T, E>) {
        let c = if r.is_ok() {
            &self.taken
        } else {
            &self.refused
        };
        c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn report(&self, what: &str) -> (u32, u32) {
        let (t, r) = (
            self.taken.load(std::sync::atomic::Ordering::Relaxed),
            self.refused.load(std::sync::atomic::Ordering::Relaxed),
        );
        eprintln!("{what}: {t} taken, {r} refused");
        (t, r)
    }
}

struct Harness {
    rt: tokio::runtime::Runtime,
    t: TestApp,
    city: Ctx,
    town: Ctx,
}

fn harness(backend: Backend) -> Harness {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(async {
        let t = TestApp::new(backend).await;
        t.add_user("cj", "town_officer", "320281001").await;
        t
    });
    let system = Actor::system("320281");
    let mut officer = system.clone();
    officer.role = Role::CityOfficer;
    let town = rt
        .block_on(minzheng::app::auth::login(
            &t.app,
            "cj",
            common::PASSWORD,
            None,
            "test",
        ))
        .unwrap();
    let ctx = |actor| Ctx::command_line(actor, "test");
    Harness {
        city: ctx(officer),
        town: ctx(town),
        rt,
        t,
    }
}

/// Departmental source files, CSV and XLSX, of every source.
fn source_files(h: &Harness) -> (u32, u32) {
    use minzheng_domain::verification::Source;
    let dir = tempfile::tempdir().unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2020, 12, 31);
    let strategy = (0..Source::ALL.len())
        .prop_flat_map(|s| {
            let columns = Source::ALL[s].columns();
            let header: Vec<String> = columns.iter().map(|c| c.name.to_string()).collect();
            let cells = columns.iter().map(|c| source_cell(c.kind)).collect();
            (Just(s), table(header, cells), any::<bool>())
        })
        .prop_flat_map(|(s, t, xlsx)| {
            let bytes = if xlsx { xlsx_bytes(&t) } else { csv_text(&t) };
            let files = if xlsx {
                prop_oneof![4 => Just(bytes.clone()), 1 => damaged_binary(bytes)].boxed()
            } else {
                damaged(bytes)
            };
            (Just(s), files, Just(xlsx))
        });
    let n = std::sync::atomic::AtomicU32::new(0);
    let tally = Tally::default();
    runner()
        .run(&strategy, |(s, bytes, xlsx)| {
            let n = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = format!("f{n}.{}", if xlsx { "xlsx" } else { "csv" });
            let path = dir.path().join(&name);
            std::fs::write(&path, &bytes).unwrap();
            let source = Source::ALL[s].code();
            let r =
                h.rt.block_on(minzheng::app::verification::sources::load_file(
                    &h.t.app, &h.city, source, &path, &name, as_of,
                ));
            tally.count(&r);
            if let Err((e, rows)) = r {
                let rows: Vec<String> = rows.iter().map(|r| r.message.clone()).collect();
                check_refusal(&format!("{source} {name}"), &e, &rows)?;
            }
            Ok(())
        })
        .unwrap();
    tally.report("source")
}

/// The assistance ledger (XLSX) a town imports.
fn ledger_files(h: &Harness) -> (u32, u32) {
    use minzheng::app::assistance::ledger;
    let header: Vec<String> = ledger::HEADER.iter().map(|s| s.to_string()).collect();
    // 户编号, 村(社区)代码, 姓名, 身份证号码, 与户主关系, 救助类别, 月救助金(元), 银行账号, 起始月份, 住址
    let cells = vec![
        "H[0-9]{6}".boxed(),
        Just("320281001001".to_string()).boxed(),
        "[\\u{4e00}-\\u{9fa5}]{2,3}".boxed(),
        id_number(),
        // one head per household (each row its own household, mostly)
        prop_oneof![8 => Just("户主".to_string()), 1 => Just("配偶".to_string())].boxed(),
        proptest::sample::select(vec![
            "低保".to_string(),
            "特困".into(),
            "低收入".into(),
            "支出型".into(),
        ])
        .boxed(),
        "[1-9][0-9]{2}(\\.[0-9]{2})?".boxed(),
        "6228[0-9]{15}".boxed(),
        "2020-(0[1-9]|1[0-2])".boxed(),
        "澄江街道[0-9]{1,3}号".boxed(),
    ];
    let strategy = table(header, cells).prop_flat_map(|t| {
        let good = xlsx_bytes(&t);
        prop_oneof![
            4 => Just(good.clone()),
            2 => damaged_binary(good),
            1 => prop::collection::vec(any::<u8>(), 0..2000),
        ]
    });
    let tally = Tally::default();
    runner()
        .run(&strategy, |bytes| {
            let r = h.rt.block_on(ledger::import(&h.t.app, &h.town, &bytes));
            tally.count(&r);
            if let Err((e, rows)) = r {
                let rows: Vec<String> = rows.iter().map(|r| r.message.clone()).collect();
                check_refusal("ledger", &e, &rows)?;
            }
            Ok(())
        })
        .unwrap();
    tally.report("ledger")
}

/// The year's plan: the shipped items and indicators, damaged.
fn plan_files(h: &Harness) -> (u32, u32) {
    let items = std::fs::read("data/plan-2020-items.csv").unwrap();
    let indicators = std::fs::read("data/targets-2020.csv").unwrap();
    let strategy = (damaged(items), damaged(indicators), 2019i32..2023);
    let system = Ctx::command_line(Actor::system("320281"), "test");
    let tally = Tally::default();
    runner()
        .run(&strategy, |(a, b, year)| {
            let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
            let r = h.rt.block_on(minzheng::app::targets::plan::import(
                &h.t.app, &system, year, &a, &b,
            ));
            tally.count(&r);
            if let Err((e, rows)) = r {
                let rows: Vec<String> = rows.iter().map(|r| r.message.clone()).collect();
                check_refusal("plan", &e, &rows)?;
            }
            Ok(())
        })
        .unwrap();
    tally.report("plan")
}

/// The holiday calendar: the shipped 2020 file, damaged.
fn calendar_files(h: &Harness) -> (u32, u32) {
    let good = std::fs::read("data/holidays-2020.csv").unwrap();
    let tally = Tally::default();
    runner()
        .run(&damaged(good), |bytes| {
            let text = String::from_utf8_lossy(&bytes);
            let r = h.rt.block_on(minzheng::app::assistance::calendar::import(
                &h.t.app, &h.city, &text,
            ));
            tally.count(&r);
            if let Err(e) = r {
                check_refusal("calendar", &e, &[])?;
            }
            Ok(())
        })
        .unwrap();
    tally.report("calendar")
}

/// The areas: the shipped file, damaged.
fn area_files(h: &Harness) -> (u32, u32) {
    let good = std::fs::read("data/jiangyin-areas.csv").unwrap();
    let tally = Tally::default();
    runner()
        .run(&damaged(good), |bytes| {
            let r = h.rt.block_on(minzheng::app::areas::import_csv(
                &h.t.app.db,
                &h.city,
                &bytes,
                "areas.csv",
            ));
            tally.count(&r);
            if let Err(e) = r {
                let msg = format!("{e:#}");
                prop_assert!(has_chinese(&msg), "areas: not Chinese: {msg}");
                for line in msg.lines() {
                    prop_assert!(has_chinese(line), "areas: line not Chinese: {line}");
                }
            }
            Ok(())
        })
        .unwrap();
    tally.report("area")
}

fn every_import_parser(backend: Backend) {
    let h = harness(backend);
    let tallies = [
        source_files(&h),
        ledger_files(&h),
        plan_files(&h),
        calendar_files(&h),
        area_files(&h),
    ];
    // every parser refused something, and files of the right shape got through some of the time
    assert!(
        tallies.iter().all(|(_, refused)| *refused > 0),
        "{tallies:?}"
    );
    assert!(
        tallies.iter().map(|(taken, _)| taken).sum::<u32>() > 0,
        "{tallies:?}"
    );
    let Harness { rt, t, .. } = h;
    rt.block_on(t.app.db.close());
}

#[test]
fn every_import_parser_sqlite() {
    every_import_parser(Backend::Sqlite);
}

#[test]
fn every_import_parser_postgres() {
    if common::pg_url().is_none() {
        return;
    }
    every_import_parser(Backend::Postgres);
}
