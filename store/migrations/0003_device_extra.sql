-- The API's record_days has no column in SmartYard's devices table; rather
-- than alter SmartYard's table, yardsync keeps it beside it.

-- +goose Up
CREATE TABLE IF NOT EXISTS yardsync_device_extra (
    device_id integer PRIMARY KEY REFERENCES devices(device_id) ON DELETE CASCADE,
    record_days integer
);

-- +goose Down
DROP TABLE IF EXISTS yardsync_device_extra;
