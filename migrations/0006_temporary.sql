-- Temporary assistance (临时救助): the town grants up to 3·S at once; above that, up to 12·S, the city decides.
CREATE TABLE temporary_grants (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households (id),
    person_id    TEXT NOT NULL REFERENCES persons (id),
    area_code    TEXT NOT NULL REFERENCES areas (code),
    town_code    TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    form         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL,
    level        TEXT NOT NULL,
    batch_id     TEXT,
    requested_by TEXT NOT NULL,
    decided_by   TEXT,
    requested_on DATE NOT NULL,
    decided_on   DATE,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX temporary_grants_town ON temporary_grants (town_code, status);
CREATE UNIQUE INDEX temporary_grants_batch ON temporary_grants (batch_id, household_id);
