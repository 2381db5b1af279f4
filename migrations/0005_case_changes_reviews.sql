-- Changes to a case after approval (events, reviews, 渐退), each with the household it was computed from and the
-- letter sent to the household. The case keeps the household in force; approved rolls never change.
ALTER TABLE cases ADD COLUMN household_json TEXT;
ALTER TABLE cases ADD COLUMN review_months INTEGER;
ALTER TABLE cases ADD COLUMN review_due_on DATE;
ALTER TABLE cases ADD COLUMN last_reviewed_on DATE;

CREATE TABLE case_changes (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    kind            TEXT NOT NULL,
    on_date         DATE NOT NULL,
    effective_month TEXT NOT NULL,
    old_amount      BIGINT NOT NULL,
    new_amount      BIGINT NOT NULL,
    outcome         TEXT NOT NULL,
    household_json  TEXT NOT NULL,
    note            TEXT NOT NULL,
    letter          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_changes_case ON case_changes (case_id, created_at);
CREATE INDEX cases_review_due ON cases (status, review_due_on);
