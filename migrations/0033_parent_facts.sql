-- Classifying every child of a 2-million-person city read each of its 330,000 children with their parents; only
-- the households where a parent has a situation can give a category. The registry's side of them: persons with a
-- death, a disability or a serious illness on record (about 3 % of a city), with what the rule reads of them.
CREATE INDEX persons_parent_facts ON persons (household_id, relation, sex, id_number, status, disability_kind,
    disability_grade, serious_illness)
    WHERE status = 'deceased' OR disability_grade IS NOT NULL OR serious_illness;
-- The children of those households, read from the index alone.
CREATE INDEX persons_household_children ON persons (household_id, birth_date, id, id_number, area_code, town_code,
    status, relation) WHERE relation = 'child';
