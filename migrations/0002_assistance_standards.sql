-- Assistance standards with effective dates and full history: a row is never changed once approved;
-- a new standard is a new row. Proposals (natural growth) wait for approval.
CREATE TABLE assistance_standards (
    id              TEXT PRIMARY KEY,
    effective_from  DATE NOT NULL,
    params_json     TEXT NOT NULL,
    status          TEXT NOT NULL,
    basis           TEXT NOT NULL,
    proposed_by     TEXT NOT NULL,
    proposed_at     TIMESTAMPTZ NOT NULL,
    approved_by     TEXT,
    approved_at     TIMESTAMPTZ
);
CREATE INDEX assistance_standards_effective ON assistance_standards (status, effective_from);

-- Working-day calendars per year (State Council holidays and make-up workdays).
CREATE TABLE calendar_days (
    day  DATE PRIMARY KEY,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);
