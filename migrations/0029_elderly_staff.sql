-- 养老服务人员 (plan item 16): carers (养老护理员) employed by an organisation of the elderly-care line, their
-- training records (at a training base on the registry, or elsewhere), and the registered volunteers.
CREATE TABLE elderly_carers (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name            TEXT NOT NULL,
    id_number       TEXT NOT NULL,
    certificate     TEXT NOT NULL,
    hired_on        DATE NOT NULL,
    left_on         DATE,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX elderly_carers_one_live ON elderly_carers (id_number) WHERE left_on IS NULL;
CREATE INDEX elderly_carers_org ON elderly_carers (organisation_id);

CREATE TABLE elderly_carer_trainings (
    id          TEXT PRIMARY KEY,
    carer_id    TEXT NOT NULL REFERENCES elderly_carers (id),
    trained_on  DATE NOT NULL,
    course      TEXT NOT NULL,
    hours       BIGINT NOT NULL,
    base_id     TEXT REFERENCES organisations (id),
    passed      BOOLEAN NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX elderly_carer_trainings_carer ON elderly_carer_trainings (carer_id, trained_on);

CREATE TABLE elderly_volunteers (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    area_code     TEXT NOT NULL REFERENCES areas (code),
    town_code     TEXT NOT NULL,
    registered_on DATE NOT NULL,
    left_on       DATE,
    recorded_by   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX elderly_volunteers_town ON elderly_volunteers (town_code, area_code);

UPDATE target_indicators SET metric = 'elderly.carer_training_rate' WHERE year = 2020 AND id = 'T16.12' AND metric = '';
UPDATE target_indicators SET metric = 'elderly.volunteers' WHERE year = 2020 AND id = 'T16.13' AND metric = '';
