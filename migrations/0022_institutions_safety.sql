-- 养老机构 (DOMAIN §5, plan items 16–18): an elderly institution is an organisation of kind elderly_institution on
-- the shared registry. Its 备案, beds, star grade, residents and yearly inspections hang on the organisation's id;
-- area scope is the organisation's area (joined, never copied, so moving an organisation moves its records).
CREATE TABLE institutions (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations (id),
    filed_on        DATE NOT NULL,
    filing_number   TEXT NOT NULL,
    ownership       TEXT NOT NULL,
    beds_total      BIGINT NOT NULL,
    beds_nursing    BIGINT NOT NULL,
    star_grade      BIGINT,
    star_rated_on   DATE,
    filed_by        TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- The documents received with the filing (names; a scanned file is optional, base64 in TEXT as grid-task photos).
CREATE TABLE institution_documents (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES institutions (organisation_id),
    name            TEXT NOT NULL,
    content_type    TEXT,
    size            BIGINT,
    sha256          TEXT,
    data_base64     TEXT,
    added_by        TEXT NOT NULL,
    added_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX institution_documents_org ON institution_documents (organisation_id, added_at);

-- Every change of the beds by date: the filing's first count, then each change; `added` is the change of the
-- total (new beds a year = the sum of positive changes dated in that year).
CREATE TABLE institution_beds (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES institutions (organisation_id),
    changed_on      DATE NOT NULL,
    beds_total      BIGINT NOT NULL,
    beds_nursing    BIGINT NOT NULL,
    ownership       TEXT NOT NULL,
    added           BIGINT NOT NULL,
    note            TEXT NOT NULL,
    changed_by      TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX institution_beds_org ON institution_beds (organisation_id, changed_on);
CREATE INDEX institution_beds_on ON institution_beds (changed_on);

-- Residents: a registry person admitted under a contract; discharge ends the stay. Files are never deleted; each
-- is kept at least 5 years after its contract ended (computed).
CREATE TABLE institution_residents (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES institutions (organisation_id),
    person_id       TEXT NOT NULL REFERENCES persons (id),
    admitted_on     DATE NOT NULL,
    contract_number TEXT NOT NULL,
    contract_start  DATE NOT NULL,
    contract_end    DATE NOT NULL,
    discharged_on   DATE,
    discharge_reason TEXT,
    admitted_by     TEXT NOT NULL,
    discharged_by   TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);
-- a person lives in one institution at a time
CREATE UNIQUE INDEX institution_residents_one_live ON institution_residents (person_id) WHERE discharged_on IS NULL;
CREATE INDEX institution_residents_org ON institution_residents (organisation_id, admitted_on);

-- The yearly on-site inspection (at least once a year).
CREATE TABLE institution_inspections (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES institutions (organisation_id),
    inspected_on    DATE NOT NULL,
    inspectors      TEXT NOT NULL,
    result          TEXT NOT NULL,
    note            TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX institution_inspections_org ON institution_inspections (organisation_id, inspected_on);

-- 安全与防疫 (DOMAIN §5, plan items 5 and 25) for every kind of service institution: keyed on the organisation.
CREATE TABLE safety_inspections (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    inspected_on    DATE NOT NULL,
    inspectors      TEXT NOT NULL,
    items_json      TEXT NOT NULL,
    failed          BIGINT NOT NULL,
    note            TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX safety_inspections_org ON safety_inspections (organisation_id, inspected_on);

CREATE TABLE safety_hazards (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    inspection_id   TEXT REFERENCES safety_inspections (id),
    found_on        DATE NOT NULL,
    grade           TEXT NOT NULL,
    description     TEXT NOT NULL,
    deadline        DATE NOT NULL,
    status          TEXT NOT NULL,
    closed_on       DATE,
    closure_note    TEXT,
    closed_by       TEXT,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX safety_hazards_org ON safety_hazards (organisation_id, status);
CREATE INDEX safety_hazards_open ON safety_hazards (status, deadline);

-- Evidence of a hazard's rectification: photos, base64 in TEXT (as grid-task photos), kept in the database.
CREATE TABLE safety_hazard_photos (
    id           TEXT PRIMARY KEY,
    hazard_id    TEXT NOT NULL REFERENCES safety_hazards (id),
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data_base64  TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX safety_hazard_photos_hazard ON safety_hazard_photos (hazard_id);

-- 封闭管理 periods (an open end while in force).
CREATE TABLE safety_closures (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    starts_on       DATE NOT NULL,
    ends_on         DATE,
    reason          TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX safety_closures_org ON safety_closures (organisation_id, starts_on);

CREATE TABLE safety_screenings (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    screened_on     DATE NOT NULL,
    grp             TEXT NOT NULL,
    screened        BIGINT NOT NULL,
    abnormal        BIGINT NOT NULL,
    note            TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX safety_screenings_org ON safety_screenings (organisation_id, screened_on);

CREATE TABLE safety_incidents (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    occurred_on     DATE NOT NULL,
    infected        BIGINT NOT NULL,
    measures        TEXT NOT NULL,
    closed_on       DATE,
    closure_note    TEXT,
    closed_by       TEXT,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX safety_incidents_org ON safety_incidents (organisation_id, occurred_on);
