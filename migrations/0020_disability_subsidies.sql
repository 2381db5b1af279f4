-- 残疾人两项补贴 (DOMAIN §5): the bureau's amounts with effective months, and each person's grant from filing to
-- stop. A grant freezes the facts it was decided on (kind, grade, household category, exclusions).
CREATE TABLE subsidy_standards (
    id             TEXT PRIMARY KEY,
    tier           TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    monthly_amount BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX subsidy_standards_tier_month ON subsidy_standards (tier, effective_from);

CREATE TABLE subsidy_grants (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL,
    programme        TEXT NOT NULL,
    person_id        TEXT NOT NULL REFERENCES persons (id),
    household_id     TEXT NOT NULL REFERENCES households (id),
    area_code        TEXT NOT NULL REFERENCES areas (code),
    town_code        TEXT NOT NULL,
    stage            TEXT NOT NULL,
    tier             TEXT NOT NULL,
    facts_json       TEXT NOT NULL,
    bank_account     TEXT NOT NULL,
    filed_by         TEXT NOT NULL,
    filed_on         DATE NOT NULL,
    checked_by       TEXT,
    checked_on       DATE,
    check_note       TEXT,
    decided_by       TEXT,
    decided_on       DATE,
    decision_note    TEXT,
    start_month      TEXT,
    end_month        TEXT,
    stop_reason      TEXT,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX subsidy_grants_number ON subsidy_grants (number);
-- one person holds at most one open or paid grant of each subsidy (the money-safety rule of §4.12)
CREATE UNIQUE INDEX subsidy_grants_one_live ON subsidy_grants (person_id, programme) WHERE stage IN ('filed', 'checked', 'approved');
CREATE INDEX subsidy_grants_town ON subsidy_grants (town_code, stage);

-- One monthly roll pays every programme (一卡通): a line names the entitlement it pays — an assistance case or a
-- subsidy grant — by `programme` and `case_id`, so the line table no longer points at `cases` alone.
CREATE TABLE payment_lines_v2 (
    id             TEXT PRIMARY KEY,
    roll_id        TEXT NOT NULL REFERENCES payment_rolls (id),
    seq            BIGINT NOT NULL,
    programme      TEXT NOT NULL,
    case_id        TEXT NOT NULL,
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
INSERT INTO payment_lines_v2 (id, roll_id, seq, programme, case_id, kind, month_for, payee_id, bank_account, category,
                              area_code, town_code, amount, status, failure_reason, reissued_by)
SELECT id, roll_id, seq, 'assistance', case_id, kind, month_for, payee_id, bank_account, category,
       area_code, town_code, amount, status, failure_reason, reissued_by
FROM payment_lines;
DROP TABLE payment_lines;
ALTER TABLE payment_lines_v2 RENAME TO payment_lines;
CREATE UNIQUE INDEX payment_lines_roll_seq ON payment_lines (roll_id, seq);
CREATE INDEX payment_lines_town ON payment_lines (roll_id, town_code);
CREATE INDEX payment_lines_failed ON payment_lines (status, reissued_by);
CREATE INDEX payment_lines_entitlement ON payment_lines (programme, case_id);
