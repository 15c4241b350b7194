-- Call blocking (reconcile.block_calls): per panel and flat, the call
-- setting yardsync found before it turned the flat's calls off, which "on
-- again" restores exactly; and the change log's two call operations.
-- Only yardsync's own tables are touched.

-- +goose Up
CREATE TABLE IF NOT EXISTS yardsync_calls_off (
    device_id integer NOT NULL,
    flat integer NOT NULL CHECK (flat BETWEEN 1 AND 9999),
    handset boolean NOT NULL,
    sip boolean NOT NULL,
    raw text NOT NULL DEFAULT '',
    uids bigint[] NOT NULL DEFAULT '{}',
    seen_off boolean NOT NULL DEFAULT false,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, flat)
);
ALTER TABLE yardsync_changes DROP CONSTRAINT IF EXISTS yardsync_changes_op_check;
ALTER TABLE yardsync_changes ADD CONSTRAINT yardsync_changes_op_check
    CHECK (op IN ('add', 'delete', 'rebind', 'calls_off', 'calls_on'));

-- +goose Down
DELETE FROM yardsync_changes WHERE op IN ('calls_off', 'calls_on');
ALTER TABLE yardsync_changes DROP CONSTRAINT IF EXISTS yardsync_changes_op_check;
ALTER TABLE yardsync_changes ADD CONSTRAINT yardsync_changes_op_check
    CHECK (op IN ('add', 'delete', 'rebind'));
DROP TABLE IF EXISTS yardsync_calls_off;
