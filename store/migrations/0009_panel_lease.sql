-- Panel sessions are serialised per panel across instances by a lease row
-- per panel (see store/lease.go), and runs prove they are alive with a
-- heartbeat, so a run never closes another live run's record as interrupted.

-- +goose Up
CREATE TABLE IF NOT EXISTS yardsync_panel_lease (
    device_id integer PRIMARY KEY,
    owner text NOT NULL DEFAULT '',              -- the holding run's random token; '' when free
    holder text NOT NULL DEFAULT '',             -- the holder's application_name, for whoever waits
    run_id bigint NOT NULL DEFAULT 0,            -- the holding run, for whoever waits (0: a dry run)
    expires_at timestamptz NOT NULL DEFAULT '-infinity',
    writes bigint NOT NULL DEFAULT 0             -- bumped when a write session ends: a reader's plan is stale
);
ALTER TABLE yardsync_runs ADD COLUMN IF NOT EXISTS alive_until timestamptz DEFAULT now() + interval '2 minutes';
-- Every run, targeted ones included, closes the runs of dead processes:
-- find the few running ones without scanning the run history.
CREATE INDEX IF NOT EXISTS yardsync_runs_running ON yardsync_runs (id) WHERE status = 'running';

-- +goose Down
DROP INDEX IF EXISTS yardsync_runs_running;
ALTER TABLE yardsync_runs DROP COLUMN IF EXISTS alive_until;
DROP TABLE IF EXISTS yardsync_panel_lease;
