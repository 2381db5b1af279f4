-- 等保三级 (issue 15): audit entries older than the online retention are moved to signed archive files. Each
-- archive leaves its boundary here, so the chain online still verifies from the last archived entry's hash.
CREATE TABLE audit_archives (
    id          TEXT PRIMARY KEY,
    first_seq   BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL,
    -- the hash before the first archived entry, and the last archived entry's hash (the online chain's start)
    prev_hash   TEXT NOT NULL,
    last_hash   TEXT NOT NULL,
    entries     BIGINT NOT NULL,
    before_date DATE NOT NULL,
    file_name   TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    archived_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX audit_archives_last ON audit_archives (last_seq);
