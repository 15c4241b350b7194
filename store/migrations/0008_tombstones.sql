-- Panels deleted from SmartYard keep what is needed to dial them until
-- yardsync has removed its keys from them; and a run records every contract
-- of a batch, not one.

-- +goose Up
CREATE TABLE IF NOT EXISTS yardsync_tombstones (
    device_id integer PRIMARY KEY,
    paneltype integer NOT NULL,
    panelip text NOT NULL,
    panellogin text NOT NULL DEFAULT '',
    panelpasswd text NOT NULL DEFAULT '',
    deleted_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE yardsync_runs ADD COLUMN IF NOT EXISTS uids bigint[];

-- +goose Down
ALTER TABLE yardsync_runs DROP COLUMN IF EXISTS uids;
DROP TABLE IF EXISTS yardsync_tombstones;
