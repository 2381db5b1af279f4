-- Warning rules and the 漏保 scan ask "does this household hold a case?" for many households at once.
CREATE INDEX cases_household ON cases (household_id, status);
