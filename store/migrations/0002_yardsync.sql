-- yardsync's own bookkeeping, all in tables prefixed yardsync_.

-- +goose Up
-- Keys yardsync put on a panel. A row is written before the request that
-- pushes the key goes out, so a run killed at any point still knows the key.
CREATE TABLE IF NOT EXISTS yardsync_owned_keys (
    device_id integer NOT NULL,
    code character(14) NOT NULL,
    flat integer NOT NULL,
    uid bigint NOT NULL,
    confirmed boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, code)
);
CREATE INDEX IF NOT EXISTS yardsync_owned_keys_uid ON yardsync_owned_keys (uid);

-- Access state per (uid, device): 0 not connected, 1 connected not paid, 2 paid.
CREATE TABLE IF NOT EXISTS yardsync_access (
    uid bigint NOT NULL,
    device_id integer NOT NULL,
    state smallint NOT NULL CHECK (state IN (0, 1, 2)),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (uid, device_id)
);

CREATE TABLE IF NOT EXISTS yardsync_runs (
    id bigserial PRIMARY KEY,
    trigger text NOT NULL,
    uid bigint,
    holder text NOT NULL DEFAULT '',
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status text NOT NULL DEFAULT 'running',
    panels integer NOT NULL DEFAULT 0,
    failed_panels integer NOT NULL DEFAULT 0,
    added integer NOT NULL DEFAULT 0,
    rebound integer NOT NULL DEFAULT 0,
    deleted integer NOT NULL DEFAULT 0,
    guarded boolean NOT NULL DEFAULT false,
    error text NOT NULL DEFAULT '',
    report jsonb
);

-- +goose Down
DROP TABLE IF EXISTS yardsync_runs;
DROP TABLE IF EXISTS yardsync_access;
DROP TABLE IF EXISTS yardsync_owned_keys;
