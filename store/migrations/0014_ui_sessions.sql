-- Status page logins (/ui/), kept where every instance finds them: behind a
-- load balancer a login made on one instance holds on the others. The
-- session id is kept only as its SHA-256 hash, as API tokens are.

-- +goose Up
CREATE TABLE IF NOT EXISTS yardsync_ui_sessions (
    id_hash bytea PRIMARY KEY,
    username text NOT NULL,
    csrf text NOT NULL,                 -- the token every form of the session carries
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS yardsync_ui_sessions_expires ON yardsync_ui_sessions (expires_at);

-- +goose Down
DROP TABLE IF EXISTS yardsync_ui_sessions;
