-- A key yardsync sent keeps its ownership record until a delete of it was
-- sent and a later read shows it gone, and until the add may no longer land
-- (see store.ForgetGone): sent_at is when the last add or rebind of the key
-- was recorded, just before the request; delete_sent_at when the last delete was.

-- +goose Up
ALTER TABLE yardsync_owned_keys ADD COLUMN IF NOT EXISTS sent_at timestamptz;
ALTER TABLE yardsync_owned_keys ADD COLUMN IF NOT EXISTS delete_sent_at timestamptz;

-- +goose Down
ALTER TABLE yardsync_owned_keys DROP COLUMN IF EXISTS delete_sent_at;
ALTER TABLE yardsync_owned_keys DROP COLUMN IF EXISTS sent_at;
