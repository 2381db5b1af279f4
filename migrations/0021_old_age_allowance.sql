-- 高龄津贴 (old-age allowance, DOMAIN §5): the bureau's amounts per age band with effective months, and the
-- 一卡通 account each resident is paid on. Who is paid is not stored: it is the registry's residents aged 80 and
-- over on the 1st of the month, read when the roll is made.
CREATE TABLE allowance_standards (
    id             TEXT PRIMARY KEY,
    band           TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    monthly_amount BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX allowance_standards_band_month ON allowance_standards (band, effective_from);

CREATE TABLE payee_accounts (
    person_id    TEXT PRIMARY KEY REFERENCES persons (id),
    bank_account TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX persons_birth_date ON persons (birth_date);
