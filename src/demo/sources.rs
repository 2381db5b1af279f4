//! Synthetic departmental files for the demo city (`minzheng demo-sources`): background rows that must find nothing
//! (including each finding kind's negative twin on assisted households) and planted anomalies, one per chosen case,
//! written with their ground truth (`ground_truth.csv`). Persons stream from the database in keyset pages.

use crate::app::verification::staff::{self, NewRelative, NewStaff};
use crate::app::{App, Ctx};
use crate::storage::persons::{PERSON_COLS, PersonRow};
use crate::storage::{Arg, placeholders};
use chrono::{Datelike, Duration, Months, NaiveDate};
use minzheng_domain::verification::Source;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

pub struct Options {
    /// The check date the files are written for (income months, custody, deaths).
    pub on: NaiveDate,
    pub seed: u64,
    /// How many cases get each planted anomaly.
    pub per_kind: usize,
    /// Social-insurance and housing-fund months are written for this share (percent) of working-age residents.
    pub workers_percent: u32,
}

pub struct Written {
    pub rows: u64,
    pub planted: usize,
}

struct Files {
    w: HashMap<Source, csv::Writer<std::io::BufWriter<std::fs::File>>>,
    rows: u64,
}

impl Files {
    fn new(dir: &Path) -> anyhow::Result<Files> {
        std::fs::create_dir_all(dir)?;
        let mut w = HashMap::new();
        for s in Source::ALL {
            let mut f = csv::Writer::from_writer(std::io::BufWriter::with_capacity(
                1 << 20,
                std::fs::File::create(dir.join(format!("{}.csv", s.code())))?,
            ));
            f.write_record(s.columns().iter().map(|c| c.name))?;
            w.insert(s, f);
        }
        Ok(Files { w, rows: 0 })
    }
    fn put(&mut self, s: Source, rec: &[&str]) -> anyhow::Result<()> {
        self.w.get_mut(&s).expect("writer").write_record(rec)?;
        self.rows += 1;
        Ok(())
    }
}

fn month(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The 12 months of the income window ending with `on`'s month.
fn window(on: NaiveDate) -> Vec<String> {
    let first = NaiveDate::from_ymd_opt(on.year(), on.month(), 1).expect("date");
    (0..12)
        .rev()
        .map(|i| month(first - Months::new(i)))
        .collect()
}

struct CaseInfo {
    id: String,
    category: String,
    household_id: String,
    members: Vec<(String, i64, i64)>, // frozen members: id_number, wage fen, pension fen
    covered: Vec<String>,             // person ids
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

pub async fn generate(app: &App, ctx: &Ctx, dir: &Path, o: Options) -> anyhow::Result<Written> {
    let db = &app.db;
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ 0x50_u64);
    let on = o.on;
    let months = window(on);
    let mut f = Files::new(dir)?;
    let mut truth: Vec<(String, String, String, String)> = Vec::new(); // kind, case, person, area

    // assisted households (their rows are only the harmless twins) and households applying
    let cases_raw: Vec<(String, String, String, String)> = db
        .conn()
        .fetch_all(
            "SELECT c.id, c.category, c.household_id, COALESCE(c.household_json, a.household_json) FROM cases c \
             JOIN applications a ON a.id = c.application_id WHERE c.status = 'active' ORDER BY c.id",
            vec![],
        )
        .await?;
    let covered: Vec<(String, String)> =
        db.conn().fetch_all("SELECT m.case_id, m.person_id FROM case_members m JOIN cases c ON c.id = m.case_id WHERE c.status = 'active'", vec![]).await?;
    let mut cov: HashMap<String, Vec<String>> = HashMap::new();
    for (c, p) in covered {
        cov.entry(c).or_default().push(p);
    }
    let mut cases: Vec<CaseInfo> = Vec::new();
    for (id, category, household_id, hj) in cases_raw {
        let v: Value = serde_json::from_str(&hj).unwrap_or(Value::Null);
        let members = v["members"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .filter(|m| m["status"] == "normal")
                    .map(|m| {
                        let fen = |k: &str| {
                            minzheng_domain::money::Fen::parse_yuan(
                                m["monthly_income"][k].as_str().unwrap_or("0"),
                            )
                            .map(|f| f.0)
                            .unwrap_or(0)
                        };
                        (
                            m["id_number"].as_str().unwrap_or("").to_string(),
                            fen("wage"),
                            fen("basic_pension"),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let covered = cov.remove(&id).unwrap_or_default();
        cases.push(CaseInfo {
            id,
            category,
            household_id,
            members,
            covered,
        });
    }
    let applying: Vec<(String,)> = db
        .conn()
        .fetch_all(
            "SELECT household_id FROM applications WHERE stage NOT IN ('approved', 'refused')",
            vec![],
        )
        .await?;
    let mut assisted: HashSet<String> = cases.iter().map(|c| c.household_id.clone()).collect();
    assisted.extend(applying.into_iter().map(|a| a.0));

    // the registry's own 漏保 candidates (elderly ≥ 80 living alone, minors without an adult): left without any row,
    // and in the ground truth when their income is under the low-income line
    let cut80 = crate::app::verification::runs::years_before(on, 80);
    let cut18 = crate::app::verification::runs::years_before(on, 18);
    let s = crate::app::assistance::standards::in_force(app, on)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no standards on {on}"))?;
    let low_line = s.dibao.0 * 3 / 2;
    let alone: Vec<(String, String, String, i64)> = db
        .conn()
        .fetch_all(
            "SELECT p.id, p.household_id, p.area_code, p.monthly_income FROM persons p WHERE p.lives_alone AND p.birth_date <= $1 \
             AND p.status = 'normal' AND p.household_id IS NOT NULL",
            vec![Arg::from(cut80)],
        )
        .await?;
    let orphans: Vec<(String, String, String, i64)> = db
        .conn()
        .fetch_all(
            "SELECT p.id, p.household_id, p.area_code, p.monthly_income FROM persons p WHERE p.birth_date > $1 AND p.status = 'normal' \
             AND p.household_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM persons q WHERE q.household_id = p.household_id AND q.status = 'normal' AND q.birth_date <= $1)",
            vec![Arg::from(cut18)],
        )
        .await?;
    // the candidates' households: income and size, a chunk of households per query
    let mut quiet: HashSet<String> = HashSet::new();
    let mut hids: Vec<&str> = alone
        .iter()
        .chain(orphans.iter())
        .map(|c| c.1.as_str())
        .collect();
    hids.sort_unstable();
    hids.dedup();
    let mut income: HashMap<String, (i64, i64)> = HashMap::new();
    for chunk in hids.chunks(900) {
        let rows: Vec<(String, i64, i64)> = db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT household_id, CAST(COALESCE(SUM(monthly_income), 0) AS BIGINT), COUNT(*) FROM persons \
                     WHERE status = 'normal' AND household_id IN ({}) GROUP BY household_id",
                    placeholders(1, chunk.len())
                ),
                chunk.iter().map(|h| Arg::from(*h)).collect(),
            )
            .await?;
        income.extend(rows.into_iter().map(|(h, i, n)| (h, (i, n))));
    }
    for (pid, hid, area, _) in alone.iter().chain(orphans.iter()) {
        quiet.insert(hid.clone());
        // the household's whole income decides; these households are one person or minors only
        let (hh_income, n) = income.get(hid).copied().unwrap_or((0, 1));
        if !assisted.contains(hid) && hh_income < low_line * n {
            truth.push(("missed".into(), String::new(), pid.clone(), area.clone()));
        }
    }

    // planted anomalies: each on its own case; income and assets only on dibao cases
    let kinds = [
        "death",
        "moved_away",
        "vehicle",
        "residential_property",
        "commercial_property",
        "enterprise",
        "public_payroll",
        "income",
        "financial_assets",
        "custody",
        "unregistered_relative",
    ];
    let mut order: Vec<usize> = (0..cases.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let mut used: HashSet<usize> = HashSet::new();
    let mut planted: HashMap<String, &'static str> = HashMap::new(); // id_number → kind (rows written below)
    let mut staff_plans: Vec<(usize, bool)> = Vec::new();
    for kind in kinds {
        let mut n = 0;
        for &i in &order {
            if n == o.per_kind {
                break;
            }
            let c = &cases[i];
            if used.contains(&i) || c.members.is_empty() || quiet.contains(&c.household_id) {
                continue;
            }
            if matches!(kind, "income" | "financial_assets") && c.category != "dibao" {
                continue;
            }
            if kind == "unregistered_relative" && c.covered.len() < 2 {
                continue;
            }
            used.insert(i);
            n += 1;
            let member = &c.members[0].0;
            if kind == "unregistered_relative" {
                staff_plans.push((i, false));
                continue;
            }
            planted.insert(member.clone(), kind);
            let person: Option<(String,)> = db
                .conn()
                .fetch_optional(
                    "SELECT id FROM persons WHERE id_number = $1",
                    vec![Arg::from(member.as_str())],
                )
                .await?;
            let pid = person.map(|p| p.0).unwrap_or_default();
            truth.push((kind.into(), c.id.clone(), pid, String::new()));
        }
    }
    // a negative twin for 人情保: a staff member whose recipient relatives are registered
    for &i in &order {
        let c = &cases[i];
        if !used.contains(&i) && c.covered.len() >= 2 && !quiet.contains(&c.household_id) {
            used.insert(i);
            staff_plans.push((i, true));
            break;
        }
    }
    for (i, registered) in staff_plans {
        let c = &cases[i];
        let head: PersonRow = db
            .conn()
            .fetch_one(
                &format!("SELECT {PERSON_COLS} FROM persons WHERE id = $1"),
                vec![Arg::from(c.covered[0].as_str())],
            )
            .await?;
        let st = staff::add(
            app,
            ctx,
            NewStaff {
                id_number: head.id_number.clone(),
                post: "village_cadre".into(),
                area_code: head.area_code.clone(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let others: Vec<PersonRow> = db
            .conn()
            .fetch_all(
                &format!(
                    "SELECT {PERSON_COLS} FROM persons WHERE id IN ({}) AND id <> $1",
                    placeholders(2, c.covered.len())
                ),
                std::iter::once(Arg::from(head.id.as_str()))
                    .chain(c.covered.iter().map(|p| Arg::from(p.as_str())))
                    .collect(),
            )
            .await?;
        for p in others {
            if registered {
                staff::add_relative(
                    app,
                    ctx,
                    &st.id,
                    NewRelative {
                        id_number: p.id_number.clone(),
                        relation: "家庭成员".into(),
                        registered_on: Some(on),
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            } else {
                truth.push((
                    "unregistered_relative".into(),
                    c.id.clone(),
                    p.id.clone(),
                    String::new(),
                ));
            }
        }
    }

    // planted 漏保: poor households of two or more without assistance get a grade-1 disability; a poor household's
    // grade-3 limb disability and a well-off household's grade-1 disability are the twins that find nothing
    let poor: Vec<(String, String, String, String)> = db
        .conn()
        .fetch_all(
            "SELECT g.household_id, p.id, p.id_number, p.area_code FROM (SELECT household_id, MIN(id) AS pid FROM persons \
             WHERE household_id IS NOT NULL GROUP BY household_id \
             HAVING COUNT(*) >= 2 AND COUNT(*) <= 5 AND CAST(SUM(monthly_income) AS BIGINT) < COUNT(*) * 60000 \
             AND MAX(birth_date) <= $1 AND MIN(CASE WHEN status = 'normal' THEN 1 ELSE 0 END) = 1) g \
             JOIN persons p ON p.id = g.pid ORDER BY g.household_id",
            vec![Arg::from(cut18)],
        )
        .await?;
    let mut missed_rows: Vec<(String, &'static str, u8)> = Vec::new();
    let mut k = 0;
    for (hid, pid, idn, area) in &poor {
        if assisted.contains(hid) || quiet.contains(hid) {
            continue;
        }
        quiet.insert(hid.clone());
        if k < o.per_kind {
            missed_rows.push((idn.clone(), "limb", 1));
            truth.push(("missed".into(), String::new(), pid.clone(), area.clone()));
        } else if k < o.per_kind + 2 {
            missed_rows.push((idn.clone(), "limb", 3));
        } else {
            break;
        }
        k += 1;
    }

    // the demo city's own coverage: villages above twice their town's rate are 人情保 leads whatever the files say
    let rec: Vec<(String, String, i64)> = db
        .conn()
        .fetch_all("SELECT c.area_code, c.town_code, COUNT(*) FROM case_members m JOIN cases c ON c.id = m.case_id WHERE c.status = 'active' GROUP BY c.area_code, c.town_code", vec![])
        .await?;
    let res: Vec<(String, String, i64)> =
        db.conn().fetch_all("SELECT area_code, town_code, COUNT(*) FROM persons WHERE status = 'normal' GROUP BY area_code, town_code", vec![]).await?;
    let mut town: HashMap<&str, (i64, i64)> = HashMap::new();
    for (_, t, n) in &rec {
        town.entry(t).or_default().0 += n;
    }
    for (_, t, n) in &res {
        town.entry(t).or_default().1 += n;
    }
    for (v, t, n) in &rec {
        let residents = res.iter().find(|r| &r.0 == v).map(|r| r.2).unwrap_or(0);
        let (tr, tres) = town.get(t.as_str()).copied().unwrap_or_default();
        if residents > 0 && n * tres > 2 * tr * residents {
            truth.push((
                "coverage_outlier".into(),
                String::new(),
                String::new(),
                v.clone(),
            ));
        }
    }

    // stream the registry: harmless rows for everyone, planted rows where chosen
    let case_by_household: HashMap<&str, &CaseInfo> =
        cases.iter().map(|c| (c.household_id.as_str(), c)).collect();
    let mut frozen: HashMap<&str, (i64, i64)> = HashMap::new();
    for c in &cases {
        for (idn, w, p) in &c.members {
            frozen.insert(idn.as_str(), (*w, *p));
        }
    }
    let mut after = String::new();
    loop {
        let page: Vec<PersonRow> = db
            .conn()
            .fetch_all(&format!("SELECT {PERSON_COLS} FROM persons WHERE id > $1 AND status = 'normal' ORDER BY id LIMIT 5000"), vec![Arg::from(after.as_str())])
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for p in &page {
            let hid = p.household_id.clone().unwrap_or_default();
            let age = minzheng_domain::idnumber::age_on(p.birth_date, on);
            let id = p.id_number.as_str();
            if let Some(kind) = planted.get(id) {
                plant(&mut f, kind, id, &p.name, on, &months)?;
            }
            if quiet.contains(&hid) {
                continue;
            }
            let assisted_here = assisted.contains(&hid);
            if assisted_here {
                // twins: what an assisted household may have without losing assistance
                if case_by_household.contains_key(hid.as_str()) && !planted.contains_key(id) {
                    let (w, pen) = frozen.get(id).copied().unwrap_or((0, 0));
                    if w > 0 && rng.random_bool(0.5) {
                        for m in &months {
                            f.put(Source::SocialInsurance, &[id, m, &yuan(w), "0"])?;
                        }
                    }
                    if pen > 0 && rng.random_bool(0.5) {
                        f.put(Source::SocialInsurance, &[id, &months[11], "0", &yuan(pen)])?;
                    }
                    match rng.random_range(0..40) {
                        0 => f.put(
                            Source::Vehicles,
                            &[
                                id,
                                &format!("苏B{:05}", rng.random_range(0..99999)),
                                ["motorcycle", "mobility", "farm"][rng.random_range(0..3)],
                                "2018-05-01",
                            ],
                        )?,
                        1 => f.put(
                            Source::RealEstate,
                            &[id, &format!("H{hid}"), "residential", "68.50", "2010-01-01"],
                        )?,
                        2 => f.put(
                            Source::Business,
                            &[
                                id,
                                "个体工商户",
                                &format!("92320281{:010}", rng.random_range(0..9_999_999_999u64)),
                                "individual_business",
                                "0",
                            ],
                        )?,
                        3 => f.put(
                            Source::Deposits,
                            &[
                                id,
                                "江阴农商银行",
                                "3000.00",
                                &(on - Duration::days(30)).to_string(),
                            ],
                        )?,
                        4 => f.put(Source::Custody, &[id, "prison", "2015-01-01", "2017-06-30"])?,
                        5 => f.put(
                            Source::HukouMoves,
                            &[id, &(on - Duration::days(200)).to_string(), "320281103000"],
                        )?,
                        6 => f.put(
                            Source::RealEstate,
                            &[
                                id,
                                &format!("G{}", &p.id[..13]),
                                "other",
                                "12.00",
                                "2012-01-01",
                            ],
                        )?,
                        _ => {}
                    }
                }
                continue;
            }
            // everyone else: what ordinary residents have
            if (18..60).contains(&age) && rng.random_range(0..100) < o.workers_percent {
                let base = (rng.random_range(3_000..15_000) as i64) * 100;
                for m in &months {
                    f.put(Source::SocialInsurance, &[id, m, &yuan(base), "0"])?;
                    f.put(Source::HousingFund, &[id, m, &yuan(base * 24 / 100)])?;
                }
            } else if age >= 60 && rng.random_bool(0.6) {
                for m in &months {
                    f.put(
                        Source::SocialInsurance,
                        &[id, m, "0", &yuan(rng.random_range(800..4_000) * 100)],
                    )?;
                }
            }
            match rng.random_range(0..100) {
                0..=11 => f.put(
                    Source::Vehicles,
                    &[
                        id,
                        &format!("苏B{:05}", rng.random_range(0..99999)),
                        ["car", "car", "truck", "motorcycle"][rng.random_range(0..4)],
                        "2016-03-01",
                    ],
                )?,
                12..=35 => f.put(
                    Source::RealEstate,
                    &[id, &format!("H{hid}"), "residential", "96.00", "2008-01-01"],
                )?,
                36..=38 => f.put(
                    Source::Business,
                    &[
                        id,
                        "江阴某某有限公司",
                        &format!("91320281{:010}", rng.random_range(0..9_999_999_999u64)),
                        "shareholder",
                        "500000",
                    ],
                )?,
                39..=41 => f.put(Source::PublicPayroll, &[id, "江阴市某事业单位"])?,
                42..=70 => f.put(
                    Source::Deposits,
                    &[
                        id,
                        "中国工商银行江阴支行",
                        &yuan(rng.random_range(1_000..400_000) * 100),
                        &(on - Duration::days(10)).to_string(),
                    ],
                )?,
                _ => {}
            }
            // a well-off household's disability and illness: in the registries, but no 漏保
            let rich = p.monthly_income >= 500_000 && (18..60).contains(&age);
            if rich && rng.random_range(0..50) == 0 {
                f.put(Source::Disability, &[id, "limb", "1", "2015-04-01"])?;
                f.put(Source::SeriousIllness, &[id, "慢性肾衰竭", "3000.00"])?;
                f.put(Source::Vehicles, &[id, "苏B00001", "car", "2019-01-01"])?;
            }
            if rng.random_range(0..400) == 0 && !rich {
                f.put(
                    Source::Deaths,
                    &[
                        id,
                        &p.name,
                        &(on - Duration::days(rng.random_range(1..300))).to_string(),
                    ],
                )?;
            }
        }
    }
    for (idn, kind, grade) in &missed_rows {
        f.put(
            Source::Disability,
            &[idn, kind, &grade.to_string(), "2019-09-01"],
        )?;
    }
    for (_, w) in f.w.iter_mut() {
        w.flush()?;
    }
    let mut gt = csv::Writer::from_path(dir.join("ground_truth.csv"))?;
    gt.write_record(["kind", "case_id", "person_id", "area_code"])?;
    truth.sort();
    for t in &truth {
        gt.write_record([&t.0, &t.1, &t.2, &t.3])?;
    }
    gt.flush()?;
    let mut readme = std::fs::File::create(dir.join("README.txt"))?;
    writeln!(
        readme,
        "江阴市演示部门核对数据（合成，非真实数据），截止 {on}。每个文件用 minzheng load SOURCE FILE --as-of {on} 导入；ground_truth.csv 为埋设的疑点。"
    )?;
    Ok(Written {
        rows: f.rows,
        planted: truth.len(),
    })
}

fn plant(
    f: &mut Files,
    kind: &str,
    id: &str,
    name: &str,
    on: NaiveDate,
    months: &[String],
) -> anyhow::Result<()> {
    match kind {
        "death" => f.put(
            Source::Deaths,
            &[id, name, &(on - Duration::days(30)).to_string()],
        ),
        "moved_away" => f.put(
            Source::HukouMoves,
            &[id, &(on - Duration::days(60)).to_string(), "320583000000"],
        ),
        "vehicle" => f.put(Source::Vehicles, &[id, "苏B8X888", "car", "2020-08-01"]),
        "residential_property" => {
            f.put(
                Source::RealEstate,
                &[id, &format!("A-{id}"), "residential", "88.00", "2009-01-01"],
            )?;
            f.put(
                Source::RealEstate,
                &[
                    id,
                    &format!("B-{id}"),
                    "residential",
                    "120.00",
                    "2019-01-01",
                ],
            )
        }
        "commercial_property" => f.put(
            Source::RealEstate,
            &[id, &format!("S-{id}"), "commercial", "45.00", "2018-01-01"],
        ),
        "enterprise" => f.put(
            Source::Business,
            &[
                id,
                "江阴某贸易有限公司",
                "91320281MA1XXXXX0X",
                "legal_rep",
                "1000000",
            ],
        ),
        "public_payroll" => f.put(Source::PublicPayroll, &[id, "江阴市某街道办事处"]),
        "income" => {
            for m in months {
                f.put(Source::SocialInsurance, &[id, m, "10000.00", "0"])?;
            }
            Ok(())
        }
        "financial_assets" => f.put(
            Source::Deposits,
            &[
                id,
                "中国银行江阴支行",
                "500000.00",
                &(on - Duration::days(5)).to_string(),
            ],
        ),
        "custody" => f.put(
            Source::Custody,
            &[id, "prison", &(on - Duration::days(100)).to_string(), ""],
        ),
        _ => Ok(()),
    }
}

/// The demo bureau's verification centre at work: the departmental files as of 31 December 2020 (the demo's year)
/// are generated, loaded and checked, so the verification pages, grid tasks and target T10.1 have something to show.
/// Returns the rows loaded and the findings.
pub async fn seed(app: &App, seed: u64) -> anyhow::Result<(u64, i64)> {
    use crate::app::verification::{runs, sources};
    let actor = crate::app::authz::Actor {
        role: crate::app::authz::Role::CityOfficer,
        display_name: "市局核对中心".into(),
        ..crate::app::authz::Actor::system(&app.areas().city_code)
    };
    let ctx = Ctx::command_line(actor, "demo");
    let on = NaiveDate::from_ymd_opt(2020, 12, 31).expect("date");
    let dir = std::env::temp_dir().join(format!(
        "minzheng-demo-sources-{}",
        crate::storage::new_id()
    ));
    let written = generate(
        app,
        &ctx,
        &dir,
        Options {
            on,
            seed,
            per_kind: 3,
            workers_percent: 30,
        },
    )
    .await;
    let result = async {
        let w = written?;
        for s in Source::ALL {
            let name = format!("{}.csv", s.code());
            // a small city may give a department nothing to report: a file of only its header is not loaded
            if !has_data_row(&dir.join(&name))? {
                continue;
            }
            sources::load_file(app, &ctx, s.code(), &dir.join(&name), &name, Some(on))
                .await
                .map_err(|(e, _)| anyhow::anyhow!("{e}"))?;
        }
        let r = runs::run(app, &ctx, runs::RunRequest { on: Some(on) })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok((w.rows, r.findings))
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Whether a written CSV file has a row after its header (reads two lines at most).
fn has_data_row(path: &std::path::Path) -> anyhow::Result<bool> {
    use std::io::BufRead;
    let f = std::io::BufReader::new(std::fs::File::open(path)?);
    Ok(f.lines()
        .take(2)
        .filter_map(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .count()
        == 2)
}
