-- Cases migrated from a town's existing ledger (台账) carry its key, so importing the same file twice adds nothing.
ALTER TABLE cases ADD COLUMN ledger_key TEXT;
CREATE UNIQUE INDEX cases_ledger_key ON cases (ledger_key);
ALTER TABLE applications ADD COLUMN origin TEXT;
