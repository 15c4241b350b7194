-- A panel's status keeps the error of its last failed write session apart
-- from its last contact, so a later good read does not hide it, and counts
-- the entries its last listing skipped as unparseable.

-- +goose Up
ALTER TABLE yardsync_panel_status ADD COLUMN IF NOT EXISTS write_error text NOT NULL DEFAULT '';
ALTER TABLE yardsync_panel_status ADD COLUMN IF NOT EXISTS skipped integer;

-- +goose Down
ALTER TABLE yardsync_panel_status DROP COLUMN IF EXISTS skipped;
ALTER TABLE yardsync_panel_status DROP COLUMN IF EXISTS write_error;
