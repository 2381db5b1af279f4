-- Verification and rectification (DOMAIN §4.8–4.10). Every load of a departmental source is kept with its as-of
-- date and checksum; its rows are never overwritten. Findings and grid tasks carry their evidence (source, load, row).
CREATE TABLE source_loads (
    id         TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    as_of      DATE NOT NULL,
    checksum   TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    rows       BIGINT NOT NULL,
    loaded_by  TEXT NOT NULL,
    loaded_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX source_loads_checksum ON source_loads (source, checksum);

CREATE TABLE src_deaths (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    name TEXT NOT NULL, date_of_death DATE NOT NULL);
CREATE TABLE src_vehicles (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    plate TEXT NOT NULL, vehicle_kind TEXT NOT NULL, registered_on DATE NOT NULL);
CREATE TABLE src_real_estate (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    property_id TEXT NOT NULL, property_use TEXT NOT NULL, area_m2 BIGINT NOT NULL, registered_on DATE NOT NULL);
CREATE TABLE src_business (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    enterprise_name TEXT NOT NULL, credit_code TEXT NOT NULL, role TEXT NOT NULL, registered_capital BIGINT NOT NULL);
CREATE TABLE src_social_insurance (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    month TEXT NOT NULL, wage_base BIGINT NOT NULL, pension_paid BIGINT NOT NULL);
CREATE TABLE src_housing_fund (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    month TEXT NOT NULL, contribution BIGINT NOT NULL);
CREATE TABLE src_public_payroll (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    employer TEXT NOT NULL);
CREATE TABLE src_deposits (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    institution TEXT NOT NULL, balance BIGINT NOT NULL, as_of DATE NOT NULL);
CREATE TABLE src_disability (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    kind TEXT NOT NULL, grade BIGINT NOT NULL, certified_on DATE NOT NULL);
CREATE TABLE src_serious_illness (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    diagnosis TEXT NOT NULL, out_of_pocket_12m BIGINT NOT NULL);
CREATE TABLE src_custody (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    kind TEXT NOT NULL, from_on DATE NOT NULL, to_on DATE);
CREATE TABLE src_hukou_moves (load_id TEXT NOT NULL, row_no BIGINT NOT NULL, id_number TEXT NOT NULL,
    moved_out_on DATE NOT NULL, destination_code TEXT NOT NULL);
CREATE INDEX src_deaths_id ON src_deaths (id_number);
CREATE INDEX src_vehicles_id ON src_vehicles (id_number);
CREATE INDEX src_real_estate_id ON src_real_estate (id_number);
CREATE INDEX src_business_id ON src_business (id_number);
CREATE INDEX src_social_insurance_id ON src_social_insurance (id_number);
CREATE INDEX src_housing_fund_id ON src_housing_fund (id_number);
CREATE INDEX src_public_payroll_id ON src_public_payroll (id_number);
CREATE INDEX src_deposits_id ON src_deposits (id_number);
CREATE INDEX src_disability_id ON src_disability (id_number);
CREATE INDEX src_serious_illness_id ON src_serious_illness (id_number);
CREATE INDEX src_custody_id ON src_custody (id_number);
CREATE INDEX src_hukou_moves_id ON src_hukou_moves (id_number);

CREATE TABLE verification_runs (
    id          TEXT PRIMARY KEY,
    scope       TEXT NOT NULL,
    on_date     DATE NOT NULL,
    cases       BIGINT NOT NULL,
    recipients  BIGINT NOT NULL,
    findings    BIGINT NOT NULL,
    loads_json  TEXT NOT NULL,
    started_by  TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    -- [[town code, recipients]] at the time of the run
    towns_json  TEXT NOT NULL
);

-- One row per finding; open findings are the towns' rectification tasks.
CREATE TABLE findings (
    id            TEXT PRIMARY KEY,
    run_id        TEXT NOT NULL REFERENCES verification_runs (id),
    kind          TEXT NOT NULL,
    case_id       TEXT REFERENCES cases (id),
    person_id     TEXT REFERENCES persons (id),
    household_id  TEXT REFERENCES households (id),
    area_code     TEXT NOT NULL,
    town_code     TEXT NOT NULL,
    detail        TEXT NOT NULL,
    since         DATE,
    evidence_json TEXT NOT NULL,
    status        TEXT NOT NULL,
    decision      TEXT,
    reason        TEXT,
    overpayment   BIGINT,
    decided_by    TEXT,
    decided_at    TIMESTAMPTZ
);
CREATE INDEX findings_run ON findings (run_id, town_code, kind);
CREATE INDEX findings_open ON findings (status, town_code);
CREATE INDEX findings_case ON findings (case_id);

-- 人情保: civil-affairs staff and village/community cadres, and the close relatives they registered (近亲属备案).
CREATE TABLE staff (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL UNIQUE REFERENCES persons (id),
    post       TEXT NOT NULL,
    area_code  TEXT NOT NULL REFERENCES areas (code),
    town_code  TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE staff_relatives (
    id            TEXT PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff (id),
    person_id     TEXT NOT NULL REFERENCES persons (id),
    relation      TEXT NOT NULL,
    registered_on DATE NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX staff_relatives_pair ON staff_relatives (staff_id, person_id);
CREATE INDEX staff_relatives_person ON staff_relatives (person_id);

-- Early warnings become tasks for the village's grid worker; a rule fires once per subject (dedupe_key).
CREATE TABLE grid_tasks (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    dedupe_key     TEXT NOT NULL UNIQUE,
    area_code      TEXT NOT NULL REFERENCES areas (code),
    town_code      TEXT NOT NULL,
    person_id      TEXT REFERENCES persons (id),
    case_id        TEXT REFERENCES cases (id),
    detail         TEXT NOT NULL,
    evidence_json  TEXT NOT NULL,
    due_on         DATE NOT NULL,
    status         TEXT NOT NULL,
    visit_note     TEXT,
    visited_on     DATE,
    visited_by     TEXT,
    outcome        TEXT,
    application_id TEXT REFERENCES applications (id),
    closed_by      TEXT,
    closed_at      TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX grid_tasks_area ON grid_tasks (town_code, area_code, status);
CREATE INDEX grid_tasks_due ON grid_tasks (status, due_on);

-- Photos of a visit, base64 in TEXT: one portable type for both backends (SQLite BLOB and PostgreSQL BYTEA differ),
-- kept in the database so that a backup holds them.
CREATE TABLE grid_task_photos (
    id           TEXT PRIMARY KEY,
    task_id      TEXT NOT NULL REFERENCES grid_tasks (id),
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data_base64  TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX grid_task_photos_task ON grid_task_photos (task_id);
