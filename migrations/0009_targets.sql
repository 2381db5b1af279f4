-- The plan's targets (DOMAIN.md §6): a year's plan (items and indicators), imported once per year and never
-- changed; reports of indicator values with evidence, kept as history (a report is never overwritten; the latest
-- approved report is the current value).
CREATE TABLE target_plans (
    year              INTEGER PRIMARY KEY,
    items_sha256      TEXT NOT NULL,
    indicators_sha256 TEXT NOT NULL,
    imported_by       TEXT NOT NULL,
    imported_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE target_items (
    year     INTEGER NOT NULL,
    item     INTEGER NOT NULL,
    chapter  TEXT NOT NULL,
    title    TEXT NOT NULL,
    sections TEXT NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY (year, item)
);

CREATE TABLE target_indicators (
    year          INTEGER NOT NULL,
    id            TEXT NOT NULL,
    item          INTEGER NOT NULL,
    sort          INTEGER NOT NULL,
    target        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    value         TEXT NOT NULL,
    unit          TEXT NOT NULL,
    computed_from TEXT NOT NULL,
    path          TEXT NOT NULL,
    metric        TEXT NOT NULL,
    PRIMARY KEY (year, id)
);

CREATE TABLE target_reports (
    id            TEXT PRIMARY KEY,
    year          INTEGER NOT NULL,
    indicator_id  TEXT NOT NULL,
    area_code     TEXT NOT NULL REFERENCES areas (code),
    value         TEXT NOT NULL,
    as_of         DATE NOT NULL,
    comment       TEXT NOT NULL,
    status        TEXT NOT NULL,
    reported_by   TEXT NOT NULL,
    reporter_name TEXT NOT NULL,
    reported_at   TIMESTAMPTZ NOT NULL,
    decided_by    TEXT,
    decided_at    TIMESTAMPTZ,
    decision_note TEXT
);
CREATE INDEX target_reports_indicator ON target_reports (year, indicator_id, status, as_of);

-- Evidence files live in the database (base64 TEXT; SQLite BLOB and PostgreSQL BYTEA are not one portable type),
-- so `minzheng backup` and a PostgreSQL dump carry them with the reports, and no second store needs configuring.
CREATE TABLE target_evidence (
    id             TEXT PRIMARY KEY,
    report_id      TEXT NOT NULL REFERENCES target_reports (id),
    file_name      TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    content_base64 TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL,
    uploaded_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX target_evidence_report ON target_evidence (report_id);
