-- The change log (every panel write) and each panel's last known status,
-- for the operators' explain, log and panels views.

-- +goose Up
CREATE TABLE IF NOT EXISTS yardsync_changes (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    run_id bigint NOT NULL,
    device_id integer NOT NULL,
    op text NOT NULL CHECK (op IN ('add', 'delete', 'rebind')),
    code text NOT NULL,
    flat integer NOT NULL,
    uid bigint NOT NULL,
    result text NOT NULL CHECK (result IN ('ok', 'failed')),
    error text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS yardsync_changes_at ON yardsync_changes (at);
CREATE INDEX IF NOT EXISTS yardsync_changes_uid ON yardsync_changes (uid, at);
CREATE INDEX IF NOT EXISTS yardsync_changes_device ON yardsync_changes (device_id, at);
CREATE INDEX IF NOT EXISTS yardsync_changes_code ON yardsync_changes (code, at);

CREATE TABLE IF NOT EXISTS yardsync_panel_status (
    device_id integer PRIMARY KEY,
    last_contact timestamptz,
    last_ok timestamptz,
    last_error text NOT NULL DEFAULT '',
    keys integer,
    probe text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE IF EXISTS yardsync_panel_status;
DROP TABLE IF EXISTS yardsync_changes;
