-- 等保 (issue 15). Failed logins are counted per (username as typed, source address), so that a caller elsewhere
-- cannot lock the real user out and an unknown name behaves like a known one. A row is reserved (locked and
-- counted) before the password hash is checked, so parallel guesses cannot pass the limit.
CREATE TABLE login_throttle (
    username     TEXT NOT NULL,
    ip           TEXT NOT NULL,
    -- failures in the current window, including an attempt whose check is still running
    failures     BIGINT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    -- lockouts so far: each one lasts twice as long as the one before (capped at a day)
    lockouts     BIGINT NOT NULL,
    locked_until TIMESTAMPTZ,
    PRIMARY KEY (username, ip)
);
CREATE INDEX login_throttle_window ON login_throttle (window_start);

-- The per-account counter it replaces; users.locked_until is no longer written (kept: dropping a column is not
-- portable to older SQLite).
DROP TABLE login_failures;

-- API tokens expire, and are bound to the account's state when issued (a hash of role, area and password hash):
-- a token issued before a change of any of them is refused. Tokens issued before this migration have no stamp and
-- are refused: their users issue new ones.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN user_stamp TEXT;
