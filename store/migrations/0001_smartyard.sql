-- SmartYard's own tables, created only where they are missing, exactly as the
-- SmartYard server defines them (testdata/smartyard-dump.sql). On an
-- existing SmartYard database nothing here changes a table: no column is
-- dropped, renamed or retyped, and existing type names are kept.

-- +goose Up
CREATE TABLE IF NOT EXISTS types (
    id serial PRIMARY KEY,
    type character varying(64) NOT NULL
);

INSERT INTO types (id, type) VALUES (1, 'cam'), (2, 'mewcam'), (3, 'lock')
ON CONFLICT (id) DO NOTHING;

SELECT setval(pg_get_serial_sequence('types', 'id'), GREATEST((SELECT max(id) FROM types), 1));

CREATE TABLE IF NOT EXISTS devices (
    device_id serial PRIMARY KEY,
    device_uuid uuid NOT NULL UNIQUE,
    device_mac macaddr,
    device_type integer NOT NULL REFERENCES types(id) ON DELETE CASCADE,
    affiliation integer,
    owner integer,
    url character varying(64),
    port integer,
    stream character varying(64),
    is_active boolean DEFAULT false,
    title character varying(64),
    address character varying(110),
    longitude numeric(16,14),
    latitude numeric(16,14),
    server_id integer,
    tariff_id integer,
    domophoneid integer UNIQUE,
    monitorid integer UNIQUE,
    sippassword text,
    dtmf integer,
    camshot text,
    paneltype integer,
    panelip inet,
    panellogin text,
    panelpasswd text,
    second_door integer,
    onvifip inet,
    onvifport integer,
    onviflogin text,
    onvifpasswd text,
    onviffilter integer DEFAULT 0
);

CREATE TABLE IF NOT EXISTS doors (
    id serial PRIMARY KEY,
    open character varying(128) NOT NULL,
    device_id integer NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
    cam integer NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
    icon character varying(14),
    entrance integer,
    name text,
    open_trait text
);

CREATE TABLE IF NOT EXISTS rights (
    uid integer PRIMARY KEY,
    uid_right integer[]
);

CREATE TABLE IF NOT EXISTS keys (
    key bytea NOT NULL,
    uid integer NOT NULL,
    comment text,
    PRIMARY KEY (key, uid)
);

-- +goose Down
-- SmartYard's tables belong to SmartYard: rolling yardsync back never drops them.
SELECT 1;
