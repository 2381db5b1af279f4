-- Warning rules and the 漏保 scan ask "does this household hold a case?" for many households at once.
CREATE INDEX cases_household ON cases (household_id, status);
-- Residents per village (coverage rates) from the index alone, and the registry's 漏保 candidates (heads of household
-- aged 80+ living alone, households headed by a minor) without scanning every person.
CREATE INDEX persons_residents ON persons (area_code, status);
CREATE INDEX persons_heads ON persons (relation, birth_date);
