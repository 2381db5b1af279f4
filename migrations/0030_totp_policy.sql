-- 等保三级 (issue 15): a second factor for staff, and the security administrator's policy.

-- One TOTP secret per user (RFC 6238). `secret` is sealed with the deployment's key (MINZHENG_SECRET_KEY) when one
-- is configured, so a database dump alone does not give it away; it is never shown again after enrolment.
CREATE TABLE user_totp (
    user_id      TEXT PRIMARY KEY REFERENCES users (id),
    secret       TEXT NOT NULL,
    -- NULL while the enrolment waits for its first code
    confirmed_at TIMESTAMPTZ,
    -- the last time step accepted: a code is never accepted twice
    last_step    BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

-- Recovery codes: shown once, stored hashed (SHA-256 of 80 random bits with the user's id), used once.
CREATE TABLE recovery_codes (
    id        TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- A session is 'full' once every factor is checked; 'code' after the password while the code is awaited; 'enrol'
-- after the password of a user who must enrol a second factor first (only the enrolment pages open).
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';

-- The security administrator's settings (one row; absent until first saved: the defaults apply).
CREATE TABLE security_policy (
    id               INTEGER PRIMARY KEY,
    password_min_len BIGINT NOT NULL,
    password_classes BIGINT NOT NULL,
    max_failures     BIGINT NOT NULL,
    lock_minutes     BIGINT NOT NULL,
    idle_minutes     BIGINT NOT NULL,
    token_days       BIGINT NOT NULL,
    -- allowed source networks, comma-separated (empty: every network)
    networks         TEXT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    updated_by       TEXT NOT NULL
);
