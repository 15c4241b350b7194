-- A targeted run looks up the ownership records of a contract's codes on
-- every panel: index them by code, so the lookup does not scan every record.

-- +goose Up
CREATE INDEX IF NOT EXISTS yardsync_owned_keys_code ON yardsync_owned_keys (code);

-- +goose Down
DROP INDEX IF EXISTS yardsync_owned_keys_code;
