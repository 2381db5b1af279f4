-- 儿童福利 (DOMAIN §5, issue 17): registers of children, the basic living allowance for orphans and 事实无人抚养儿童 paid
-- in the monthly roll, the town's 儿童督导员 and the village's 儿童主任 with their training, and home visits.

-- the allowance's amounts with effective months: `institution` (集中供养孤儿) and `family` (散居孤儿, 事实无人抚养儿童)
CREATE TABLE child_standards (
    id             TEXT PRIMARY KEY,
    tier           TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    monthly_amount BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX child_standards_tier_month ON child_standards (tier, effective_from);

-- one entry per child and category; an entry is never deleted: it ends (at 18, or by a recorded step)
CREATE TABLE child_registrations (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES persons (id),
    household_id    TEXT REFERENCES households (id),
    area_code       TEXT NOT NULL REFERENCES areas (code),
    town_code       TEXT NOT NULL,
    category        TEXT NOT NULL,
    sub_kind        TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    basis_json      TEXT,
    start_on        DATE NOT NULL,
    end_on          DATE NOT NULL,
    education_until DATE,
    status          TEXT NOT NULL,
    ended_on        DATE,
    end_reason      TEXT,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX child_registrations_one_live ON child_registrations (person_id, category) WHERE status = 'active';
CREATE INDEX child_registrations_area ON child_registrations (area_code, status);
CREATE INDEX child_registrations_town ON child_registrations (town_code, status);

-- every change of an entry (registered, education recorded, ended …), with what it was and became
CREATE TABLE child_changes (
    id              TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES child_registrations (id),
    action          TEXT NOT NULL,
    before_json     TEXT,
    after_json      TEXT,
    note            TEXT NOT NULL,
    changed_by      TEXT NOT NULL,
    changed_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX child_changes_registration ON child_changes (registration_id);

CREATE TABLE child_allowances (
    id              TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES child_registrations (id),
    person_id       TEXT NOT NULL REFERENCES persons (id),
    household_id    TEXT REFERENCES households (id),
    area_code       TEXT NOT NULL REFERENCES areas (code),
    town_code       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    bank_account    TEXT NOT NULL,
    status          TEXT NOT NULL,
    start_month     TEXT NOT NULL,
    end_month       TEXT,
    stop_reason     TEXT,
    decided_by      TEXT NOT NULL,
    decided_on      DATE NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
-- one live allowance per child, whatever its kind (the money-safety rule of §4.12)
CREATE UNIQUE INDEX child_allowances_one_live ON child_allowances (person_id) WHERE status = 'active';
CREATE INDEX child_allowances_town ON child_allowances (town_code, status);

-- 儿童督导员 (role supervisor, a town) and 儿童主任 (role director, a village or community); a change ends the
-- previous one, so the history stays
CREATE TABLE child_workers (
    id           TEXT PRIMARY KEY,
    role         TEXT NOT NULL,
    area_code    TEXT NOT NULL REFERENCES areas (code),
    town_code    TEXT NOT NULL,
    name         TEXT NOT NULL,
    phone        TEXT NOT NULL,
    appointed_on DATE NOT NULL,
    ended_on     DATE,
    end_reason   TEXT,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX child_workers_one_current ON child_workers (role, area_code) WHERE ended_on IS NULL;
CREATE INDEX child_workers_town ON child_workers (town_code);

CREATE TABLE child_worker_trainings (
    id          TEXT PRIMARY KEY,
    worker_id   TEXT NOT NULL REFERENCES child_workers (id),
    trained_on  DATE NOT NULL,
    topic       TEXT NOT NULL,
    hours       BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX child_worker_trainings_worker ON child_worker_trainings (worker_id);

CREATE TABLE child_visits (
    id              TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES child_registrations (id),
    area_code       TEXT NOT NULL REFERENCES areas (code),
    town_code       TEXT NOT NULL,
    visited_on      DATE NOT NULL,
    seen            TEXT NOT NULL,
    needs           TEXT NOT NULL,
    visited_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX child_visits_registration ON child_visits (registration_id, visited_on);

-- photos as the grid tasks keep them: base64 in TEXT, in the database so that a backup holds them
CREATE TABLE child_visit_photos (
    id           TEXT PRIMARY KEY,
    visit_id     TEXT NOT NULL REFERENCES child_visits (id),
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data_base64  TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX child_visit_photos_visit ON child_visit_photos (visit_id);

-- 强制报告: a suspected harm to a child reported by a school, hospital, village …; it becomes an immediate task of
-- the child's town (due the next day), and the notification of the police is recorded
CREATE TABLE child_reports (
    id              TEXT PRIMARY KEY,
    area_code       TEXT NOT NULL REFERENCES areas (code),
    town_code       TEXT NOT NULL,
    reporter_kind   TEXT NOT NULL,
    reporter        TEXT NOT NULL,
    reporter_phone  TEXT NOT NULL,
    person_id       TEXT REFERENCES persons (id),
    child_name      TEXT NOT NULL,
    harm            TEXT NOT NULL,
    description     TEXT NOT NULL,
    received_on     DATE NOT NULL,
    due_on          DATE NOT NULL,
    police_on       DATE,
    police_station  TEXT,
    police_receipt  TEXT,
    status          TEXT NOT NULL,
    handled_on      DATE,
    handled_by      TEXT,
    action          TEXT,
    received_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX child_reports_town ON child_reports (town_code, status);
