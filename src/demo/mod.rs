//! A deterministic synthetic city on the real areas: households and persons with valid identity numbers,
//! the age structure of an ageing Jiangsu county, incomes, disabilities, illnesses and elderly living alone.
//! Rows are generated and written in batches, so memory stays bounded at any size.

pub mod assistance;
pub mod children;
pub mod elderly;
pub mod sources;
pub mod welfare;

use crate::app::areas::Area;
use crate::app::audit::{self, Event};
use crate::app::authz::Actor;
use crate::app::{App, Ctx};
use crate::storage::Tx;
use crate::storage::persons::{HOUSEHOLD_COLS, HouseholdRow, PERSON_COLS, PersonRow};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use minzheng_domain::idnumber::IdNumber;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};

const SURNAMES: &[(&str, u32)] = &[
    ("王", 80),
    ("张", 75),
    ("陈", 70),
    ("李", 60),
    ("刘", 45),
    ("周", 45),
    ("徐", 40),
    ("朱", 38),
    ("吴", 38),
    ("黄", 30),
    ("孙", 30),
    ("杨", 28),
    ("沈", 25),
    ("顾", 25),
    ("许", 22),
    ("钱", 20),
    ("蒋", 20),
    ("陆", 20),
    ("缪", 15),
    ("夏", 15),
    ("赵", 15),
    ("胡", 15),
    ("高", 14),
    ("邵", 12),
    ("郁", 12),
    ("承", 10),
    ("薛", 10),
    ("季", 10),
    ("奚", 8),
    ("包", 8),
    ("殷", 8),
    ("叶", 8),
    ("程", 8),
    ("曹", 8),
    ("范", 7),
    ("汤", 7),
    ("章", 6),
    ("孟", 6),
    ("姚", 6),
    ("花", 5),
    ("戴", 5),
    ("袁", 5),
    ("欧阳", 2),
    ("司马", 1),
];
const MALE_CHARS: &[&str] = &[
    "建", "国", "明", "华", "军", "伟", "强", "平", "杰", "峰", "勇", "斌", "涛", "磊", "刚", "俊",
    "浩", "宇", "鹏", "晨", "昊", "轩", "文", "永", "荣", "忠", "兴", "海", "林", "东", "志", "新",
    "春", "良", "德", "祥", "辉",
];
const FEMALE_CHARS: &[&str] = &[
    "芳", "英", "秀", "美", "娟", "霞", "玲", "萍", "红", "丽", "敏", "静", "婷", "燕", "琴", "雪",
    "梅", "兰", "洁", "慧", "倩", "欣", "怡", "涵", "萱", "悦", "彤", "珍", "凤", "月", "桂", "华",
    "云", "佳", "雯",
];
const DISABILITY_KINDS: &[&str] = &[
    "limb",
    "limb",
    "limb",
    "visual",
    "hearing",
    "speech",
    "intellectual",
    "mental",
    "multiple",
];

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub households: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub households: u64,
    pub persons: u64,
    pub seconds: f64,
}

struct Gen {
    rng: ChaCha8Rng,
    /// Next sequence per (birth date, sex) keeps identity numbers unique; bounded by the number of days.
    seqs: HashMap<(i32, bool), u16>,
    id_ms: i64,
    /// The generated city's "today": ages are computed against it so a seed always gives the same city.
    today: NaiveDate,
    created: DateTime<Utc>,
    surname_total: u32,
}

impl Gen {
    fn new(seed: u64, today: NaiveDate) -> Gen {
        Gen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seqs: HashMap::new(),
            id_ms: 1_577_808_000_000, // 2020-01-01 UTC: deterministic UUIDv7 timestamps
            today,
            created: DateTime::from_timestamp(1_577_808_000, 0).expect("valid"),
            surname_total: SURNAMES.iter().map(|(_, w)| w).sum(),
        }
    }

    fn uuid(&mut self) -> String {
        self.id_ms += 1;
        let mut bytes = [0u8; 10];
        self.rng.fill(&mut bytes);
        uuid::Builder::from_unix_timestamp_millis(self.id_ms as u64, &bytes)
            .into_uuid()
            .to_string()
    }

    fn surname(&mut self) -> &'static str {
        let mut x = self.rng.random_range(0..self.surname_total);
        for (s, w) in SURNAMES {
            if x < *w {
                return s;
            }
            x -= w;
        }
        SURNAMES[0].0
    }

    fn given(&mut self, male: bool) -> String {
        let chars = if male { MALE_CHARS } else { FEMALE_CHARS };
        let n = if self.rng.random_bool(0.75) { 2 } else { 1 };
        (0..n)
            .map(|_| chars[self.rng.random_range(0..chars.len())])
            .collect()
    }

    fn birth_for_age(&mut self, age: u32) -> NaiveDate {
        let days = self.rng.random_range(0..365);
        self.today - Duration::days(i64::from(age) * 365 + i64::from(age / 4) + days)
    }

    fn id_number(&mut self, birth: NaiveDate, male: bool) -> IdNumber {
        let key = (birth.num_days_from_ce_compat(), male);
        let n = self.seqs.entry(key).or_insert(0);
        let k = *n;
        *n += 1;
        // 500 odd (male) or even (female) sequence numbers per county code and day; overflow moves to the
        // neighbouring counties of 无锡, as people born elsewhere also live here.
        let counties = [
            "320281", "320282", "320205", "320206", "320211", "320213", "320214",
        ];
        let county = counties[(k / 500) as usize % counties.len()];
        // Real sequence numbers spread over 000–999; a stride coprime to 500 walks all 500 slots of a day
        // without repeating, starting at a day-dependent offset.
        let slot = ((u32::from(k % 500) * 337 + (key.0 as u32).wrapping_mul(7919)) % 500) as u16;
        let seq = slot * 2 + u16::from(male);
        IdNumber::compose(county, birth, seq)
    }

    fn phone(&mut self) -> String {
        let prefixes = [
            "138", "139", "137", "135", "150", "151", "152", "157", "158", "159", "187", "188",
            "189", "180", "133",
        ];
        format!(
            "{}{:08}",
            prefixes[self.rng.random_range(0..prefixes.len())],
            self.rng.random_range(0..100_000_000u32)
        )
    }
}

trait DaysCe {
    fn num_days_from_ce_compat(&self) -> i32;
}
impl DaysCe for NaiveDate {
    fn num_days_from_ce_compat(&self) -> i32 {
        chrono::Datelike::num_days_from_ce(self)
    }
}

/// One generated member before it becomes a row.
struct Member {
    age: u32,
    male: bool,
    relation: &'static str,
}

fn compose_household(rng: &mut ChaCha8Rng) -> Vec<Member> {
    let m = |age: u32, male: bool, relation: &'static str| Member {
        age,
        male,
        relation,
    };
    let r: u32 = rng.random_range(0..100);
    let male = rng.random_bool(0.5);
    match r {
        // an elderly person alone (many of them 80+)
        0..=13 => vec![m(rng.random_range(60..98), rng.random_bool(0.4), "self")],
        // an elderly couple
        14..=28 => {
            let a = rng.random_range(60..92);
            vec![
                m(a, true, "self"),
                m(
                    a.saturating_sub(rng.random_range(0..5)).max(58),
                    false,
                    "spouse",
                ),
            ]
        }
        // a couple with 1–2 children
        29..=59 => {
            let a = rng.random_range(26..56);
            let mut v = vec![
                m(a, true, "self"),
                m(a - rng.random_range(0..4).min(a - 22), false, "spouse"),
            ];
            let kids = if rng.random_bool(0.35) { 2 } else { 1 };
            for _ in 0..kids {
                v.push(m(
                    rng.random_range(0..(a - 21).min(30)),
                    rng.random_bool(0.52),
                    "child",
                ));
            }
            v
        }
        // three generations
        60..=81 => {
            let a = rng.random_range(28..50);
            let mut v = vec![
                m(a, true, "self"),
                m(a - rng.random_range(0..3).min(a - 22), false, "spouse"),
            ];
            v.push(m(
                rng.random_range(0..(a - 21).min(20)),
                rng.random_bool(0.52),
                "child",
            ));
            let p = (a + rng.random_range(22..32)).min(99);
            v.push(m(p, true, "parent"));
            if rng.random_bool(0.6) {
                v.push(m(p.saturating_sub(rng.random_range(0..4)), false, "parent"));
            }
            if rng.random_bool(0.2) {
                v.push(m(
                    rng.random_range(0..(a - 21).min(20)),
                    rng.random_bool(0.52),
                    "child",
                ));
            }
            v
        }
        // a single adult
        82..=92 => vec![m(rng.random_range(20..60), male, "self")],
        // a middle-aged couple whose children live elsewhere
        _ => {
            let a = rng.random_range(45..60);
            vec![m(a, true, "self"), m(a - 2, false, "spouse")]
        }
    }
}

/// One batch of generated households and their members.
type Batch = (Vec<HouseholdRow>, Vec<PersonRow>);

fn gen_batch(
    g: &mut Gen,
    areas: &crate::app::areas::AreaIndex,
    villages: &[Area],
    n: u64,
) -> Batch {
    let mut households = Vec::with_capacity(n as usize);
    let mut persons = Vec::with_capacity(n as usize * 4);
    for _ in 0..n {
        let v = &villages[g.rng.random_range(0..villages.len())];
        let hid = g.uuid();
        let house_no = g.rng.random_range(1..300);
        let address = format!(
            "{}{}{}号",
            areas.name(v.town_code.as_deref().unwrap_or("")),
            v.name,
            house_no
        );
        let members = compose_household(&mut g.rng);
        let alone = members.len() == 1;
        let surname = g.surname();
        for mem in &members {
            let birth = g.birth_for_age(mem.age);
            let id = g.id_number(birth, mem.male);
            // children and the head's parents usually share the head's surname
            let family = if matches!(mem.relation, "self" | "child" | "parent")
                && (mem.male || mem.relation == "child")
            {
                surname
            } else {
                g.surname()
            };
            let name = format!("{family}{}", g.given(mem.male));
            let working_age = (18..60).contains(&mem.age);
            let employed = working_age && g.rng.random_bool(0.82);
            let income_yuan: i64 = if employed {
                g.rng.random_range(2_200..9_500)
            } else if mem.age >= 60 {
                // urban pensions vs rural basic pensions
                if g.rng.random_bool(0.55) {
                    g.rng.random_range(1_800..4_500)
                } else {
                    g.rng.random_range(300..1_200)
                }
            } else {
                0
            };
            let (dk, dg) = if g.rng.random_bool(if mem.age >= 60 { 0.07 } else { 0.025 }) {
                (
                    Some(
                        DISABILITY_KINDS[g.rng.random_range(0..DISABILITY_KINDS.len())].to_string(),
                    ),
                    Some(g.rng.random_range(1..5)),
                )
            } else {
                (None, None)
            };
            let pid = g.uuid();
            persons.push(PersonRow {
                id: pid,
                id_number: id.as_str().into(),
                id_last4: id.last4().into(),
                name,
                sex: if mem.male { "male" } else { "female" }.into(),
                birth_date: birth,
                phone: if mem.age >= 16 {
                    g.phone()
                } else {
                    String::new()
                },
                address: address.clone(),
                hukou_area_code: v.code.clone(),
                area_code: v.code.clone(),
                town_code: v.town_code.clone().unwrap_or_default(),
                status: "normal".into(),
                household_id: Some(hid.clone()),
                relation: mem.relation.into(),
                employed,
                monthly_income: income_yuan * 100,
                disability_kind: dk,
                disability_grade: dg,
                serious_illness: g.rng.random_bool(if mem.age >= 50 { 0.03 } else { 0.006 }),
                lives_alone: alone && mem.age >= 60,
                created_at: g.created,
                updated_at: g.created,
            });
        }
        households.push(HouseholdRow {
            id: hid,
            area_code: v.code.clone(),
            town_code: v.town_code.clone().unwrap_or_default(),
            address,
            created_at: g.created,
        });
    }
    (households, persons)
}

/// A city this large into an empty registry is bulk-loaded: secondary indexes are dropped first and built once at
/// the end (sorting once beats millions of random B-tree inserts).
const BULK_HOUSEHOLDS: u64 = 20_000;

/// Generates the demo city into an app's database. `progress` is called after each batch. A blocking thread
/// generates the next batch while the database writes the last one; memory stays bounded at any size.
pub async fn generate(
    app: &App,
    opts: DemoOptions,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<DemoSummary> {
    let started = std::time::Instant::now();
    let areas = app.areas();
    let mut villages: Vec<Area> = areas.villages().cloned().collect();
    villages.sort_by(|a, b| a.code.cmp(&b.code));
    anyhow::ensure!(!villages.is_empty(), "没有村(社区)区划，无法生成演示数据");
    let persons: i64 = app
        .db
        .conn()
        .scalar("SELECT COUNT(*) FROM persons", vec![])
        .await?;
    let empty = persons == 0;
    let bulk = empty && opts.households >= BULK_HOUSEHOLDS;
    // The whole city is one transaction: a failed generation leaves nothing behind, and no page is written to the
    // log twice as it would be by thousands of small commits.
    let mut tx = app.db.begin().await?;
    let mut dropped_indexes: Vec<(String, String)> = Vec::new();
    let mut dropped_keys: Vec<(String, String, String)> = Vec::new();
    if bulk {
        tx.bulk_cache(true).await?;
        for t in ["persons", "households"] {
            for (name, ddl) in tx.secondary_indexes(t).await? {
                tx.execute(&format!("DROP INDEX {name}"), vec![]).await?;
                dropped_indexes.push((name, ddl));
            }
            // PostgreSQL checks a foreign key with a query per row; re-adding the constraint checks all rows in one join
            for (name, def) in tx.foreign_keys(t).await? {
                tx.execute(&format!("ALTER TABLE {t} DROP CONSTRAINT {name}"), vec![])
                    .await?;
                dropped_keys.push((t.to_string(), name, def));
            }
        }
    }
    let (send, mut recv) = tokio::sync::mpsc::channel::<Batch>(2);
    let total = opts.households;
    let seed = opts.seed;
    let gen_areas = areas.clone();
    let producer = tokio::task::spawn_blocking(move || {
        let mut g = Gen::new(seed, NaiveDate::from_ymd_opt(2020, 6, 30).expect("valid"));
        let mut done = 0u64;
        while done < total {
            let n = 2_000u64.min(total - done);
            if send
                .blocking_send(gen_batch(&mut g, &gen_areas, &villages, n))
                .is_err()
            {
                break;
            }
            done += n;
        }
    });
    let mut summary = DemoSummary::default();
    let written: anyhow::Result<()> = async {
        // the registry's kept residents per village, written once at the end
        let mut residents: BTreeMap<String, i64> = BTreeMap::new();
        while let Some((households, persons)) = recv.recv().await {
            insert_households(&mut tx, &households).await?;
            insert_persons(&mut tx, &persons).await?;
            for (area, n) in crate::storage::persons::residents_of(&persons) {
                *residents.entry(area).or_default() += n;
            }
            summary.households += households.len() as u64;
            summary.persons += persons.len() as u64;
            progress(summary.households, summary.persons);
        }
        let residents: Vec<(String, i64)> = residents.into_iter().collect();
        crate::storage::persons::add_residents(&mut tx, &residents).await?;
        Ok(())
    }
    .await;
    drop(recv);
    producer.await?;
    // a failure rolls the whole city back, indexes and constraints included
    written?;
    // (the loads' small sort cache for index builds made these seven slower: 18.4 s against 16.7 s for 300,000
    // households; each build reads the whole persons table again)
    for (_, ddl) in &dropped_indexes {
        tx.execute(ddl, vec![]).await?;
    }
    for (table, name, def) in &dropped_keys {
        tx.execute(
            &format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}"),
            vec![],
        )
        .await?;
    }
    if bulk {
        tx.bulk_cache(false).await?;
    }
    let ctx = Ctx::command_line(Actor::system(&areas.city_code), "cli");
    audit::record(
        &mut tx,
        &ctx,
        Event::new("demo.generate", "city", &areas.city_code)
            .after(serde_json::json!({"households": summary.households, "persons": summary.persons, "seed": opts.seed})),
    )
    .await?;
    tx.commit().await?;
    app.db
        .analyze(&["persons", "households", "area_residents"])
        .await?;
    if bulk {
        app.db.checkpoint().await?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn cols(list: &str) -> Vec<&str> {
    list.split(',').map(str::trim).collect()
}

async fn insert_households(tx: &mut Tx, rows: &[HouseholdRow]) -> anyhow::Result<()> {
    Ok(tx
        .copy_rows(
            "households",
            &cols(HOUSEHOLD_COLS),
            rows.iter().map(HouseholdRow::args).collect(),
        )
        .await?)
}

async fn insert_persons(tx: &mut Tx, rows: &[PersonRow]) -> anyhow::Result<()> {
    Ok(tx
        .copy_rows(
            "persons",
            &cols(PERSON_COLS),
            rows.iter().map(PersonRow::args).collect(),
        )
        .await?)
}

const ALL_SECTIONS: &str = "social_assistance,verification,elderly_care,child_welfare,social_affairs,social_organisations,office";

/// Demo accounts, one per role and one per section (科室), all with the same demo password: `city` holds every
/// section so that one login can try every line.
pub const DEMO_USERS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "city",
        "市局业务科室（全部科室）",
        "city_officer",
        "320281",
        ALL_SECTIONS,
    ),
    (
        "jiuzhu",
        "市局社会救助科",
        "city_officer",
        "320281",
        "social_assistance",
    ),
    (
        "hedui",
        "市居民家庭经济状况核对中心",
        "city_officer",
        "320281",
        "verification",
    ),
    (
        "yanglao",
        "市局养老服务科",
        "city_officer",
        "320281",
        "elderly_care",
    ),
    (
        "ertong",
        "市局儿童福利科",
        "city_officer",
        "320281",
        "child_welfare",
    ),
    (
        "shiwu",
        "市局社会事务科",
        "city_officer",
        "320281",
        "social_affairs",
    ),
    (
        "shezu",
        "市社会组织管理局",
        "city_officer",
        "320281",
        "social_organisations",
    ),
    ("bangong", "市局办公室", "city_officer", "320281", "office"),
    ("leader", "局领导", "leader", "320281", ""),
    ("auditor", "纪检审计", "auditor", "320281", ""),
    (
        "chengjiang",
        "澄江街道民政办",
        "town_officer",
        "320281001",
        "",
    ),
    ("nanzha", "南闸街道民政办", "town_officer", "320281004", ""),
    // 三员分立: the security and audit administrators (the system administrator is `admin`)
    ("anquan", "安全管理员", "security_admin", "320281", ""),
    ("shenji", "安全审计员", "audit_admin", "320281", ""),
];
/// The tables the demo's business lines fill, analyzed once they are (see `Db::analyze`).
pub const SEEDED_TABLES: &[&str] = &[
    "applications",
    "application_events",
    "cases",
    "case_changes",
    "payment_rolls",
    "payment_lines",
    "findings",
    "grid_tasks",
    "subsidy_grants",
    "payee_accounts",
];

pub const DEMO_PASSWORD: &str = "minzheng2020";

pub async fn create_demo_users(app: &App) -> anyhow::Result<Vec<(String, String)>> {
    let areas = app.areas();
    let ctx = Ctx::command_line(Actor::system(&areas.city_code), "cli");
    let mut users: Vec<(String, String, String, String, &str)> = DEMO_USERS
        .iter()
        .map(|(u, d, r, a, s)| {
            (
                u.to_string(),
                d.to_string(),
                r.to_string(),
                a.to_string(),
                *s,
            )
        })
        .collect();
    // a village worker in the first community of 澄江街道
    if let Some(v) = areas.children("320281001").first() {
        users.push((
            "wangge".into(),
            format!("{}网格员", v.name),
            "village_worker".into(),
            v.code.clone(),
            "",
        ));
    }
    let mut out = vec![];
    for (u, d, r, a, s) in users {
        if areas.get(&a).is_none() {
            continue;
        }
        match crate::app::users::add(
            app,
            &ctx,
            crate::app::users::NewUser {
                username: u.clone(),
                password: DEMO_PASSWORD.into(),
                role: r.clone(),
                area_code: a,
                display_name: Some(d),
                sections: s
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
            },
        )
        .await
        {
            Ok(_) => out.push((u, r)),
            Err(crate::app::AppError::Conflict { .. }) => {}
            Err(e) => return Err(anyhow::anyhow!("{e}")),
        }
    }
    Ok(out)
}
