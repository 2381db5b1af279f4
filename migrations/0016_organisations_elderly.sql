-- The organisation registry shared by every later line (DOMAIN §5): institutions, facilities, social organisations
-- and charities, each with its unified social credit code, kind and area; every change kept.
CREATE TABLE organisations (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    credit_code    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    area_code      TEXT NOT NULL REFERENCES areas (code),
    town_code      TEXT NOT NULL,
    address        TEXT NOT NULL,
    legal_rep      TEXT NOT NULL,
    authority      TEXT NOT NULL,
    registered_on  DATE,
    status         TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX organisations_credit_code ON organisations (credit_code);
CREATE INDEX organisations_town ON organisations (town_code, kind);
CREATE INDEX organisations_area ON organisations (area_code, kind);

CREATE TABLE organisation_changes (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    changed_by      TEXT NOT NULL,
    before_json     TEXT,
    after_json      TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX organisation_changes_org ON organisation_changes (organisation_id, at);

-- Elderly capability assessments (GB/T 42195-2022, LINES-API §1): two assessors, a reason, the items and the answer.
CREATE TABLE capability_assessments (
    id           TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES persons (id),
    area_code    TEXT NOT NULL,
    town_code    TEXT NOT NULL,
    assessed_on  DATE NOT NULL,
    reason       TEXT NOT NULL,
    assessors    TEXT NOT NULL,
    input_json   TEXT NOT NULL,
    total        BIGINT NOT NULL,
    level        BIGINT NOT NULL,
    level_name   TEXT NOT NULL,
    next_due_on  DATE NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX capability_assessments_person ON capability_assessments (person_id, assessed_on);
CREATE INDEX capability_assessments_town ON capability_assessments (town_code, next_due_on);
