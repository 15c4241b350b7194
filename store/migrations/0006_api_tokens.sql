-- Tokens handed out by /bill/api/auth/, shared by every instance on this
-- store. Only a token's SHA-256 is kept, so a copy of the table lets no one in.

-- +goose Up
CREATE TABLE IF NOT EXISTS yardsync_api_tokens (
    token_hash bytea PRIMARY KEY,
    username text NOT NULL,
    -- fingerprint of the password hash the login was checked against: when
    -- the operator changes a password, the tokens issued before stop working
    cred text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS yardsync_api_tokens_user ON yardsync_api_tokens (username, created_at);
CREATE INDEX IF NOT EXISTS yardsync_api_tokens_expires ON yardsync_api_tokens (expires_at);

-- +goose Down
DROP TABLE IF EXISTS yardsync_api_tokens;
