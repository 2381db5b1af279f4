-- Monthly payment rolls. An approved roll never changes; the bank's return file only records each line's outcome.
CREATE TABLE payment_rolls (
    id          TEXT PRIMARY KEY,
    month       TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL,
    lines       BIGINT NOT NULL,
    total       BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    approved_by TEXT,
    approved_at TIMESTAMPTZ
);

CREATE TABLE payment_lines (
    id             TEXT PRIMARY KEY,
    roll_id        TEXT NOT NULL REFERENCES payment_rolls (id),
    seq            BIGINT NOT NULL,
    case_id        TEXT NOT NULL REFERENCES cases (id),
    kind           TEXT NOT NULL,
    month_for      TEXT NOT NULL,
    payee_id       TEXT NOT NULL REFERENCES persons (id),
    bank_account   TEXT NOT NULL,
    category       TEXT NOT NULL,
    area_code      TEXT NOT NULL,
    town_code      TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    status         TEXT NOT NULL,
    failure_reason TEXT,
    reissued_by    TEXT
);
CREATE UNIQUE INDEX payment_lines_roll_seq ON payment_lines (roll_id, seq);
CREATE INDEX payment_lines_town ON payment_lines (roll_id, town_code);
CREATE INDEX payment_lines_failed ON payment_lines (status, reissued_by);
