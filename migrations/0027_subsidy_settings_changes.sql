-- 残疾人两项补贴 (issue 17): the bureau's switches as settings with effective months and history (the living subsidy
-- for low-income households' disabled members; the care subsidy for grade 3–4 intellectual or mental disability),
-- and the changes a new disability grade makes to a grant (another tier, or a stop), each with its reason and month.

CREATE TABLE bureau_settings (
    id             TEXT PRIMARY KEY,
    setting        TEXT NOT NULL,
    enabled        BOOLEAN NOT NULL,
    effective_from TEXT NOT NULL,
    reason         TEXT NOT NULL,
    set_by         TEXT NOT NULL,
    set_at         TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX bureau_settings_month ON bureau_settings (setting, effective_from);

-- Jiangsu has both extensions since the subsidies began (2016-01)
INSERT INTO bureau_settings (id, setting, enabled, effective_from, reason, set_by, set_at) VALUES
  ('00000000-0000-7000-8000-000000002701', 'disability.living_low_income', TRUE, '2016-01',
   '江苏省实施办法：低收入家庭的残疾人纳入生活补贴', '系统', '2016-01-01T00:00:00+00:00'),
  ('00000000-0000-7000-8000-000000002702', 'disability.care_grade34_intellectual_mental', TRUE, '2016-01',
   '江苏省实施办法：三、四级智力、精神残疾人纳入护理补贴', '系统', '2016-01-01T00:00:00+00:00');

CREATE TABLE subsidy_changes (
    id               TEXT PRIMARY KEY,
    grant_id         TEXT NOT NULL REFERENCES subsidy_grants (id),
    kind             TEXT NOT NULL,
    before_json      TEXT NOT NULL,
    after_json       TEXT NOT NULL,
    tier             TEXT,
    effective_month  TEXT NOT NULL,
    reason           TEXT NOT NULL,
    changed_by       TEXT NOT NULL,
    changed_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX subsidy_changes_grant ON subsidy_changes (grant_id, effective_month);
