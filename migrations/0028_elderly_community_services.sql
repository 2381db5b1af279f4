-- 社区养老服务设施 (plan item 16): a day-care centre or meal point is an organisation on the shared registry; its
-- service profile, the villages/communities it serves, its standard configuration checks (标配) and the bureau's
-- designations (一镇一品 demonstration sites, smart elderly care institutions) hang on the organisation's id. Area
-- scope is the organisation's own area (joined, never copied); a served village carries its town for the coverage.
CREATE TABLE elderly_facilities (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations (id),
    level           TEXT NOT NULL,
    meals           BOOLEAN NOT NULL,
    regional        BOOLEAN NOT NULL,
    opened_on       DATE NOT NULL,
    capacity        BIGINT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX elderly_facilities_opened ON elderly_facilities (opened_on);

CREATE TABLE elderly_facility_areas (
    organisation_id TEXT NOT NULL REFERENCES elderly_facilities (organisation_id),
    area_code       TEXT NOT NULL REFERENCES areas (code),
    town_code       TEXT NOT NULL,
    PRIMARY KEY (organisation_id, area_code)
);
CREATE INDEX elderly_facility_areas_area ON elderly_facility_areas (area_code);

CREATE TABLE elderly_standard_checks (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES elderly_facilities (organisation_id),
    checked_on      DATE NOT NULL,
    checkers        TEXT NOT NULL,
    items_json      TEXT NOT NULL,
    missing         BIGINT NOT NULL,
    met             BOOLEAN NOT NULL,
    note            TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX elderly_standard_checks_org ON elderly_standard_checks (organisation_id, checked_on);

CREATE TABLE elderly_designations (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    kind            TEXT NOT NULL,
    named_on        DATE NOT NULL,
    title           TEXT NOT NULL,
    revoked_on      DATE,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX elderly_designations_org ON elderly_designations (organisation_id, kind);
CREATE INDEX elderly_designations_kind ON elderly_designations (kind, named_on);

-- 居家养老援助 (plan item 17): a grant to a qualifying resident (basis from the assistance data and the registry),
-- in hours or a voucher (fen) a month, served by a provider on the registry; each service is recorded.
CREATE TABLE home_care_grants (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES persons (id),
    area_code       TEXT NOT NULL,
    town_code       TEXT NOT NULL,
    basis           TEXT NOT NULL,
    form            TEXT NOT NULL,
    monthly         BIGINT NOT NULL,
    provider_id     TEXT NOT NULL REFERENCES organisations (id),
    starts_on       DATE NOT NULL,
    ended_on        DATE,
    end_reason      TEXT,
    granted_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
-- one grant in force per person
CREATE UNIQUE INDEX home_care_grants_one_live ON home_care_grants (person_id) WHERE ended_on IS NULL;
CREATE INDEX home_care_grants_town ON home_care_grants (town_code, area_code);
-- the 80+ living alone qualify whatever their income: read through a small partial index, not every person
CREATE INDEX persons_alone_birth ON persons (birth_date) WHERE lives_alone;

CREATE TABLE home_care_services (
    id              TEXT PRIMARY KEY,
    grant_id        TEXT NOT NULL REFERENCES home_care_grants (id),
    served_on       DATE NOT NULL,
    quantity        BIGINT NOT NULL,
    content         TEXT NOT NULL,
    carer           TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX home_care_services_grant ON home_care_services (grant_id, served_on);

-- 适老化改造: one per household; planned with its items and contractor, then accepted with photos, cost and subsidy.
CREATE TABLE home_adaptations (
    id              TEXT PRIMARY KEY,
    household_id    TEXT NOT NULL REFERENCES households (id),
    person_id       TEXT NOT NULL REFERENCES persons (id),
    area_code       TEXT NOT NULL,
    town_code       TEXT NOT NULL,
    category        TEXT NOT NULL,
    need            TEXT NOT NULL,
    items_json      TEXT NOT NULL,
    contractor      TEXT NOT NULL,
    planned_on      DATE NOT NULL,
    status          TEXT NOT NULL,
    accepted_on     DATE,
    cost            BIGINT,
    subsidy         BIGINT,
    acceptance_note TEXT,
    accepted_by     TEXT,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX home_adaptations_household ON home_adaptations (household_id);
CREATE INDEX home_adaptations_town ON home_adaptations (town_code, status);

CREATE TABLE home_adaptation_photos (
    id            TEXT PRIMARY KEY,
    adaptation_id TEXT NOT NULL REFERENCES home_adaptations (id),
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    data_base64   TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX home_adaptation_photos_adaptation ON home_adaptation_photos (adaptation_id);

-- 家庭照护床位: a contract between an elderly resident and a provider, a monthly subsidy, and the provider's visits.
CREATE TABLE family_care_beds (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL REFERENCES persons (id),
    area_code       TEXT NOT NULL,
    town_code       TEXT NOT NULL,
    provider_id     TEXT NOT NULL REFERENCES organisations (id),
    contract_number TEXT NOT NULL,
    contract_start  DATE NOT NULL,
    contract_end    DATE NOT NULL,
    monthly_subsidy BIGINT NOT NULL,
    terminated_on   DATE,
    termination_reason TEXT,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX family_care_beds_one_live ON family_care_beds (person_id) WHERE terminated_on IS NULL;
CREATE INDEX family_care_beds_town ON family_care_beds (town_code, area_code);

CREATE TABLE family_care_visits (
    id          TEXT PRIMARY KEY,
    bed_id      TEXT NOT NULL REFERENCES family_care_beds (id),
    visited_on  DATE NOT NULL,
    carer       TEXT NOT NULL,
    services    TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX family_care_visits_bed ON family_care_visits (bed_id, visited_on);

-- The elderly line now computes these indicators from its own records (targets::computed::LINE_METRICS).
UPDATE target_indicators SET metric = 'institutions.new_beds' WHERE year = 2020 AND id = 'T16.1' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.new_day_care_centres' WHERE year = 2020 AND id = 'T16.5' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.new_regional_meal_centres' WHERE year = 2020 AND id = 'T16.6' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.meal_coverage_urban' WHERE year = 2020 AND id = 'T16.7' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.meal_coverage_rural' WHERE year = 2020 AND id = 'T16.8' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.standard_rate' WHERE year = 2020 AND id = 'T16.9' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.new_smart' WHERE year = 2020 AND id = 'T16.11' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.assessment_rate' WHERE year = 2020 AND id = 'T16.14' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.new_service_orgs' WHERE year = 2020 AND id = 'T16.16' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.adaptations' WHERE year = 2020 AND id = 'T17.1' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.family_care_beds' WHERE year = 2020 AND id = 'T17.2' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.home_care_share' WHERE year = 2020 AND id = 'T17.3' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.demo_site_towns' WHERE year = 2020 AND id = 'T17.4' AND metric = '';
