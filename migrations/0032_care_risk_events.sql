-- Care-risk events after an assessment (跌倒、噎食、压疮、走失、自伤 …): GB/T 42195-2022 asks for an immediate
-- re-assessment, so the person's latest assessment falls due on the event's day (issue 16 §4).
CREATE TABLE care_risk_events (
    id           TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES persons (id),
    area_code    TEXT NOT NULL,
    town_code    TEXT NOT NULL,
    occurred_on  DATE NOT NULL,
    kind         TEXT NOT NULL,
    note         TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX care_risk_events_person ON care_risk_events (person_id, occurred_on);
