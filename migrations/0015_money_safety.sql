-- DOMAIN §4.12: one household holds at most one live case per category, and at most one open application of it.
-- Per-member categories (dibao_single, tekun under the 2021 rules) cover their members inside that one case.
CREATE UNIQUE INDEX cases_one_live ON cases (household_id, category) WHERE status IN ('active', 'phasing_out');
CREATE UNIQUE INDEX applications_one_open ON applications (household_id, category) WHERE stage NOT IN ('approved', 'refused');

-- Secrets the platform keeps for itself (the spot-check draw's seed): never shown, only their hash is audited.
CREATE TABLE platform_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
