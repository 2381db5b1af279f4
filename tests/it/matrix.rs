//! The route × role matrix, generated from the API document itself (`/api/openapi.json`): every documented route,
//! called by every role and without a login, answers what the permission table says, never a 5xx, and never shows
//! another town's records. A route added to any line is covered without touching this file.

use crate::common;

use crate::common::{Backend, TestApp};
use axum::http::{Method, StatusCode};
use minzheng::app::authz::{Permission, Role, allows};
use serde_json::json;
use std::collections::HashMap;

/// The permission each documented path asks for: a line's routes its `read` permission, from the registry
/// itself; the platform's user administration its own.
fn permission_table() -> HashMap<String, Permission> {
    let mut t = HashMap::new();
    for l in minzheng::web::lines::LINES {
        for path in (l.api)().split_for_parts().1.paths.paths.keys() {
            t.insert(path.clone(), l.read);
        }
    }
    t.insert("/api/v1/users".into(), Permission::ManageUsers);
    t.insert("/api/v1/users/{username}".into(), Permission::ManageUsers);
    t.insert(
        "/api/v1/users/{username}/totp".into(),
        Permission::ManageUsers,
    );
    t.insert("/api/v1/security/policy".into(), Permission::ManagePolicy);
    t
}

/// Every business line's documented paths (三员分立: no administrator opens any of them).
fn line_paths() -> std::collections::HashSet<String> {
    minzheng::web::lines::LINES
        .iter()
        .flat_map(|l| {
            (l.api)()
                .split_for_parts()
                .1
                .paths
                .paths
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Reading routes that ask for more than their line's permission, and the users they refuse.
/// The bank file carries full account and identity numbers: only the city's assistance section writes it.
const NARROWER: &[(&str, &str)] = &[
    ("/api/v1/payments/rolls/{month}/export", "cj"),
    ("/api/v1/payments/rolls/{month}/export", "nz"),
    ("/api/v1/payments/rolls/{month}/export", "wg"),
    ("/api/v1/payments/rolls/{month}/export", "leader"),
    ("/api/v1/payments/rolls/{month}/export", "auditor"),
];

struct Seeded {
    person: String,
    household: String,
    application: String,
    organisation: String,
    /// Texts that only 澄江街道's records contain: no 南闸 answer may carry any of them.
    secrets: Vec<String>,
}

/// Records of 澄江街道 made through the API by its town officer.
async fn seed(t: &TestApp, cj: &str) -> Seeded {
    let village = t.app.areas().children("320281001")[0].code.clone();
    let (s, h) = t
        .api(
            Method::POST,
            "/api/v1/households",
            Some(cj),
            Some(json!({"area_code": village, "address": "矩阵路1号"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    let household = h["id"].as_str().unwrap().to_string();
    let idn = minzheng_domain::idnumber::IdNumber::compose(
        "320281",
        chrono::NaiveDate::from_ymd_opt(1950, 1, 2).unwrap(),
        417,
    )
    .to_string();
    let (s, p) = t
        .api(
            Method::POST,
            "/api/v1/persons",
            Some(cj),
            Some(json!({"id_number": idn, "name": "矩阵甲", "area_code": village, "household_id": household, "relation": "self"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let person = p["id"].as_str().unwrap().to_string();
    let inc = json!({"wage": "0", "business": "0", "property": "0", "transfer": "0", "basic_pension": "300", "excluded": "0"});
    let hh = json!({
        "members": [{"id_number": idn, "relation": "self", "status": "normal", "employed": false, "disability": null,
                     "serious_illness": false, "self_care_unmet": 0, "has_capable_supporter": true, "public_payroll": false,
                     "monthly_income": inc}],
        "assets": {"financial": "1000", "vehicles": [], "residential_properties": 1, "commercial_properties": 0, "enterprise_roles": 0},
        "annual_rigid_expenditure": "0"
    });
    let (s, a) = t
        .api(
            Method::POST,
            "/api/v1/applications",
            Some(cj),
            Some(json!({"category": "dibao", "household_id": household, "applicant_id": person,
                        "authorisation_on": "2020-09-25", "bank_account": "6228480000000000417", "household": hh,
                        "applied_on": "2020-09-25"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let application = a["id"].as_str().unwrap().to_string();
    let credit = {
        let first = "52320281MJ0000417";
        format!("{first}{}", minzheng_domain::orgs::check_char(first))
    };
    let (s, o) = t
        .api(
            Method::POST,
            "/api/v1/organisations",
            Some(cj),
            Some(json!({"name": "矩阵颐养院", "credit_code": credit, "kind": "elderly_institution", "area_code": village})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let organisation = o["id"].as_str().unwrap().to_string();
    Seeded {
        secrets: vec![
            "矩阵甲".into(),
            "矩阵路1号".into(),
            "矩阵颐养院".into(),
            idn,
            person.clone(),
            household.clone(),
            application.clone(),
            organisation.clone(),
        ],
        person,
        household,
        application,
        organisation,
    }
}

/// A concrete URL for a documented path: 澄江's own records where the path names one, placeholders elsewhere.
fn concrete(path: &str, s: &Seeded) -> String {
    let id = if path.starts_with("/api/v1/persons/") {
        &s.person
    } else if path.starts_with("/api/v1/households/") {
        &s.household
    } else if path.starts_with("/api/v1/applications/") {
        &s.application
    } else if path.starts_with("/api/v1/organisations/") {
        &s.organisation
    } else {
        "01900000-0000-7000-8000-000000000000"
    };
    let mut url = path
        .replace("{id}", id)
        .replace("{month}", "2020-12")
        .replace("{source}", "deaths");
    // any other parameter ({photo}, {person_id} …): an id that names nothing
    while let (Some(a), Some(b)) = (url.find('{'), url.find('}')) {
        url.replace_range(a..=b, "01900000-0000-7000-8000-000000000001");
    }
    url
}

db_test!(
    every_documented_route_for_every_role,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        let users = [
            ("city", "city_officer", "320281"),
            ("cj", "town_officer", "320281001"),
            ("nz", "town_officer", "320281004"),
            ("wg", "village_worker", "320281001001"),
            ("leader", "leader", "320281"),
            ("auditor", "auditor", "320281"),
            ("anquan", "security_admin", "320281"),
            ("shenji", "audit_admin", "320281"),
        ];
        for (u, r, a) in users {
            t.add_user(u, r, a).await;
        }
        let mut tokens = vec![("admin", Role::CityAdmin, t.token("admin").await)];
        for (u, r, _) in users {
            tokens.push((u, Role::parse(r).unwrap(), t.token(u).await));
        }
        let cj = tokens.iter().find(|x| x.0 == "cj").unwrap().2.clone();
        let seeded = seed(&t, &cj).await;

        let (s, doc) = t.api(Method::GET, "/api/openapi.json", None, None).await;
        assert_eq!(s, StatusCode::OK);
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() > 60, "{} documented routes", paths.len());
        let table = permission_table();
        let business = line_paths();
        let mut calls = 0;
        let mut narrower = vec![];
        for (path, item) in paths {
            for method in item.as_object().unwrap().keys() {
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let url = concrete(path, &seeded);
                let body = (m != Method::GET && m != Method::DELETE).then(|| json!({}));
                // without a login, only the login itself answers
                let (s, v) = t.api(m.clone(), &url, None, body.clone()).await;
                if path != "/api/v1/auth/token" {
                    assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {url} anonymous: {v}");
                }
                for (user, role, tok) in &tokens {
                    if path == "/api/v1/auth/token" {
                        continue; // logging out would end the token the rest of the walk uses
                    }
                    let (s, v) = t.api(m.clone(), &url, Some(tok), body.clone()).await;
                    calls += 1;
                    let at = format!("{method} {url} as {user}: {s} {v}");
                    assert!(!s.is_server_error(), "{at}");
                    assert_ne!(s, StatusCode::UNAUTHORIZED, "{at}");
                    if role.is_administrator() && business.contains(path.as_str()) {
                        assert_eq!(s, StatusCode::FORBIDDEN, "三员: {at}");
                    }
                    if let Some(&p) = table.get(path.as_str()) {
                        if !allows(*role, p) {
                            // refused before the body is read: a role outside the line learns nothing
                            assert_eq!(s, StatusCode::FORBIDDEN, "{at}");
                        } else if m == Method::GET
                            && s == StatusCode::FORBIDDEN
                            && !NARROWER.contains(&(path.as_str(), *user))
                        {
                            narrower.push(at.clone());
                        }
                    }
                    // the read-only roles never change anything
                    if matches!(role, Role::Leader | Role::Auditor | Role::AuditAdmin)
                        && m != Method::GET
                    {
                        assert!(!s.is_success(), "{at}");
                    }
                    if *user == "nz" {
                        let text = v.to_string();
                        for secret in &seeded.secrets {
                            assert!(!text.contains(secret.as_str()), "{at} shows {secret}");
                        }
                        if m == Method::GET && url.contains(&seeded.application) {
                            assert!(
                                matches!(s, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                                "{at}"
                            );
                        }
                    }
                }
            }
        }
        assert!(
            narrower.is_empty(),
            "refused without a rule saying so:\n{}",
            narrower.join("\n")
        );
        assert!(calls > 400, "{calls} calls");
    }
);

db_test!(
    a_city_officer_acts_only_for_its_sections,
    |b: Backend| async move {
        let t = TestApp::new(b).await;
        t.add_user("cj", "town_officer", "320281001").await;
        let admin = t.token("admin").await;
        for (u, sec) in [
            ("yanglao", "elderly_care"),
            ("shezu", "social_organisations"),
        ] {
            let (s, v) = t
                .api(
                    Method::POST,
                    "/api/v1/users",
                    Some(&admin),
                    Some(
                        json!({"username": u, "password": common::PASSWORD, "role": "city_officer",
                                "area_code": "320281", "sections": [sec]}),
                    ),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            assert_eq!(v["sections"].as_array().unwrap().len(), 1, "{v}");
        }
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/users",
                Some(&admin),
                Some(
                    json!({"username": "x", "password": common::PASSWORD, "role": "city_officer",
                            "area_code": "320281", "sections": ["nonsense"]}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "sections");
        let cj = t.token("cj").await;
        let seeded = seed(&t, &cj).await;
        let yl = t.token("yanglao").await;
        let sz = t.token("shezu").await;
        // the elderly section reads the assistance line but does not act in it
        let (s, _) = t
            .get(&format!("/api/v1/applications/{}", seeded.application), &yl)
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = t
            .api(
                Method::POST,
                &format!("/api/v1/applications/{}/actions", seeded.application),
                Some(&yl),
                Some(json!({"action": "accept", "on": "2020-09-28"})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["error"].as_str().unwrap().contains("社会救助科"), "{v}");
        // an organisation belongs to the section of its kind
        let org = |name: &str, seq: &str, kind: &str| {
            let first = format!("52320281MJ{seq}");
            json!({"name": name, "credit_code": format!("{first}{}", minzheng_domain::orgs::check_char(&first)),
                   "kind": kind, "area_code": "320281001"})
        };
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/organisations",
                Some(&sz),
                Some(org("某养老院", "0000501", "elderly_institution")),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["error"].as_str().unwrap().contains("养老服务科"), "{v}");
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/organisations",
                Some(&sz),
                Some(org("某协会", "0000502", "social_group")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // the social-organisation section cannot move the elderly institution into its own kind either
        let (s, v) = t
            .api(
                Method::PUT,
                &format!("/api/v1/organisations/{}", seeded.organisation),
                Some(&sz),
                Some(org("矩阵颐养院", "0000417", "social_group")),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = t
            .api(
                Method::POST,
                "/api/v1/organisations",
                Some(&yl),
                Some(org("某日间照料中心", "0000503", "day_care_centre")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // the menu shows a section's officer only what it may open
        let yl_page = t.login_browser("yanglao").await;
        let (_, _, html) = t.page(&yl_page, "/").await;
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("老年人能力评估"));
        assert!(!html.contains("近亲属备案"), "a verification-only entry");
    }
);
