-- Applications through every step of DOMAIN.md §4.6, their events, and the cases they become.
CREATE TABLE applications (
    id                  TEXT PRIMARY KEY,
    category            TEXT NOT NULL,
    household_id        TEXT NOT NULL REFERENCES households (id),
    applicant_id        TEXT NOT NULL REFERENCES persons (id),
    area_code           TEXT NOT NULL REFERENCES areas (code),
    town_code           TEXT NOT NULL,
    hukou_area_code     TEXT NOT NULL,
    stage               TEXT NOT NULL,
    due_on              DATE,
    stage_since         DATE NOT NULL,
    applied_on          DATE NOT NULL,
    authorisation_on    DATE NOT NULL,
    household_json      TEXT NOT NULL,
    bank_account        TEXT NOT NULL,
    staff_relative      BOOLEAN NOT NULL,
    spot_check_required BOOLEAN NOT NULL,
    visited             BOOLEAN NOT NULL,
    checked             BOOLEAN NOT NULL,
    spot_checked        BOOLEAN NOT NULL,
    publicity_started   DATE,
    refusal_reason      TEXT,
    decided_on          DATE,
    snapshot_json       TEXT,
    monthly_amount      BIGINT,
    created_by          TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX applications_town ON applications (town_code, stage);
CREATE INDEX applications_area ON applications (area_code, stage);
CREATE INDEX applications_due ON applications (stage, due_on);

CREATE TABLE application_events (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    action         TEXT NOT NULL,
    on_date        DATE NOT NULL,
    actor          TEXT NOT NULL,
    note           TEXT NOT NULL,
    data_json      TEXT,
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX application_events_app ON application_events (application_id, at);

CREATE TABLE cases (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    category       TEXT NOT NULL,
    household_id   TEXT NOT NULL REFERENCES households (id),
    area_code      TEXT NOT NULL REFERENCES areas (code),
    town_code      TEXT NOT NULL,
    status         TEXT NOT NULL,
    monthly_amount BIGINT NOT NULL,
    start_month    TEXT NOT NULL,
    end_month      TEXT,
    stop_reason    TEXT,
    bank_account   TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_town ON cases (town_code, status);
CREATE INDEX cases_area ON cases (area_code, status);

CREATE TABLE case_members (
    case_id   TEXT NOT NULL REFERENCES cases (id),
    person_id TEXT NOT NULL REFERENCES persons (id),
    PRIMARY KEY (case_id, person_id)
);
CREATE INDEX case_members_person ON case_members (person_id);
