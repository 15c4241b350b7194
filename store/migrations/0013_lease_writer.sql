-- A run that started before another (so read the billing earlier) must not
-- undo what the later run wrote (see store.AcquireLeases and
-- store.NewerRunUIDs): the lease row remembers the start of the latest
-- full run that took the panel to write, and runs are found by their start.

-- +goose Up
ALTER TABLE yardsync_panel_lease ADD COLUMN IF NOT EXISTS writer_started timestamptz;
CREATE INDEX IF NOT EXISTS yardsync_runs_started ON yardsync_runs (started_at);

-- +goose Down
DROP INDEX IF EXISTS yardsync_runs_started;
ALTER TABLE yardsync_panel_lease DROP COLUMN IF EXISTS writer_started;
