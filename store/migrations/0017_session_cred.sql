-- A status page session carries the fingerprint of its user's password hash
-- and role at login, as API tokens do (cred), so that removing the user,
-- changing its hash or its role ends the session on the next request on
-- every instance. Sessions made before this migration get an empty one,
-- which matches no user: they log in again, once.

-- +goose Up
ALTER TABLE yardsync_ui_sessions ADD COLUMN IF NOT EXISTS cred text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS yardsync_ui_sessions_user ON yardsync_ui_sessions (username);

-- +goose Down
DROP INDEX IF EXISTS yardsync_ui_sessions_user;
ALTER TABLE yardsync_ui_sessions DROP COLUMN IF EXISTS cred;
