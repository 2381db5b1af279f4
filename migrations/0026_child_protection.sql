-- 儿童福利 (issue 17): state guardianship (临时监护、长期监护) and adoption registration (收养登记) with the home
-- assessment (收养评估); the registry's children re-classified by the classify rule when a parent's situation
-- changes (child_classifications, with history).

-- state guardianship by the civil affairs bureau: its legal basis, the institution that cares for the child, the dates
CREATE TABLE child_guardianships (
    id            TEXT PRIMARY KEY,
    number        TEXT NOT NULL,
    person_id     TEXT NOT NULL REFERENCES persons (id),
    area_code     TEXT NOT NULL REFERENCES areas (code),
    town_code     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    legal_basis   TEXT NOT NULL,
    circumstance  TEXT NOT NULL,
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    start_on      DATE NOT NULL,
    planned_end   DATE,
    status        TEXT NOT NULL,
    ended_on      DATE,
    end_reason    TEXT,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX child_guardianships_number ON child_guardianships (number);
-- one guardianship in force per child
CREATE UNIQUE INDEX child_guardianships_one_live ON child_guardianships (person_id) WHERE status = 'active';
CREATE INDEX child_guardianships_town ON child_guardianships (town_code, status);

-- 收养登记: filed, assessed (收养评估), then registered with a certificate number or refused
CREATE TABLE adoptions (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL,
    person_id        TEXT NOT NULL REFERENCES persons (id),
    area_code        TEXT NOT NULL REFERENCES areas (code),
    town_code        TEXT NOT NULL,
    adopters_json    TEXT NOT NULL,
    check_json       TEXT NOT NULL,
    stage            TEXT NOT NULL,
    filed_by         TEXT NOT NULL,
    filed_on         DATE NOT NULL,
    assessment_json  TEXT,
    assessed_on      DATE,
    assessed_by      TEXT,
    suitable         BOOLEAN,
    certificate      TEXT,
    registered_on    DATE,
    registered_by    TEXT,
    refusal          TEXT,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX adoptions_number ON adoptions (number);
CREATE UNIQUE INDEX adoptions_certificate ON adoptions (certificate);
-- one open or registered adoption per child
CREATE UNIQUE INDEX adoptions_one_live ON adoptions (person_id) WHERE stage IN ('filed', 'assessed', 'registered');
CREATE INDEX adoptions_town ON adoptions (town_code, stage);

-- the history of guardianships and adoptions: every step with what it was and became
CREATE TABLE child_protection_changes (
    id           TEXT PRIMARY KEY,
    subject      TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    action       TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    note         TEXT NOT NULL,
    changed_by   TEXT NOT NULL,
    changed_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX child_protection_changes_subject ON child_protection_changes (subject_id);

-- the classify rule's answer for every registry child, from the parents' situations the platform holds; a changed
-- answer is kept in child_classification_changes
CREATE TABLE child_classifications (
    person_id     TEXT PRIMARY KEY REFERENCES persons (id),
    area_code     TEXT NOT NULL,
    town_code     TEXT NOT NULL,
    category      TEXT,
    reasons_json  TEXT NOT NULL,
    as_of         DATE NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX child_classifications_area ON child_classifications (area_code, category);
CREATE INDEX child_classifications_town ON child_classifications (town_code, category);

CREATE TABLE child_classification_changes (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL REFERENCES persons (id),
    area_code     TEXT NOT NULL,
    town_code     TEXT NOT NULL,
    before_cat    TEXT,
    after_cat     TEXT,
    reasons_json  TEXT NOT NULL,
    cause         TEXT NOT NULL,
    as_of         DATE NOT NULL,
    changed_by    TEXT NOT NULL,
    changed_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX child_classification_changes_person ON child_classification_changes (person_id);
CREATE INDEX child_classification_changes_town ON child_classification_changes (town_code, changed_at);

-- the registry's children by birth date, for the re-classification batch (it reads those under 18)
CREATE INDEX persons_children ON persons (birth_date) WHERE relation = 'child';
