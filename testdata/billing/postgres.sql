-- A home-grown ISP billing on PostgreSQL, as small operators run them:
-- phones typed by hand (several in one field), NULL-able columns, DECIMAL
-- money, flags stored three different ways, and one contract with no flat.
-- Load: psql -d billing -f testdata/billing/postgres.sql
CREATE TABLE abonents (
    id           integer PRIMARY KEY,
    login        varchar(32) NOT NULL,
    fio          text,
    phones       text,                      -- free text: '+7 (910) 123-45-67, 8-910-...'
    city         text,
    street       text,
    house        text,
    flat         varchar(10),               -- text: '12', '7а', '12/1'; NULL for a house
    balance      numeric(12, 2),            -- NULL when no payment was ever booked
    deleted      boolean NOT NULL DEFAULT false,
    send_invoice char(1) NOT NULL DEFAULT 'N',  -- 'Y' / 'N'
    detail       boolean,                   -- t / f / NULL
    receipt      smallint NOT NULL DEFAULT 0    -- 0 / 1
);

CREATE TABLE services (
    id          serial PRIMARY KEY,
    abonent_id  integer NOT NULL REFERENCES abonents (id),
    kind        text NOT NULL,              -- internet | tv | phone | domofon
    tariff      text NOT NULL,
    price       numeric(10, 2),
    paid_till   date,                       -- NULL: not tracked; 'infinity': open-ended
    blocked     boolean NOT NULL DEFAULT false
);

INSERT INTO abonents (id, login, fio, phones, city, street, house, flat, balance, deleted, send_invoice, detail, receipt) VALUES
 (1001, 'ivanov',    'Иванов Иван',       '+7 (910) 123-45-67',                 'Иваново', 'ул. Ленина', '1', '12',   120.50, false, 'Y', true,  1),
 (1002, 'petrova',   'Петрова Анна',      '8-910-123-45-67; 8(4932)55-66-77',   'Иваново', 'ул. Ленина', '1', '7а',   -35.00, false, 'N', false, 0),
 (1003, 'sidorov',   'Сидоров Пётр',      '79105550001,89105550002',            'Иваново', 'ул. Мира',   '5', NULL,   NULL,   false, 'N', NULL,  0),
 (1004, 'old',       'Удалённый',         '+79101234567',                       'Иваново', 'ул. Мира',   '5', '3',    0,      true,  'N', NULL,  0),
 (1005, 'kuznetsov', 'Кузнецов Олег',     '9101112233',                         'Иваново', 'ул. Мира',   '7', '12/1', 10.00,  false, 'Y', true,  1),
 (1006, 'smirnov',   'Смирнова Ольга',    NULL,                                 'Иваново', 'ул. Мира',   '7', '5',    0.10,   false, 'N', false, 0);

INSERT INTO services (abonent_id, kind, tariff, price, paid_till, blocked) VALUES
 (1001, 'internet', 'Домашний 100', 550.00, '2099-12-31', false),
 (1001, 'tv',       'Базовый',      199.00, NULL,         false),
 (1001, 'domofon',  'Умный домофон', 99.00, '2099-12-31', false),
 (1002, 'internet', 'Домашний 50',  450.00, '2099-12-31', true),
 (1002, 'domofon',  'Умный домофон', 99.00, '2099-12-31', true),
 (1003, 'internet', 'Домашний 50',  450.00, NULL,         false),
 (1004, 'domofon',  'Умный домофон', 99.00, '2099-12-31', false),
 (1005, 'domofon',  'Домофон+видео', 149.50,'2099-12-31', false),
 (1005, 'tv',       'Расширенный',  299.99, 'infinity',   false),
 (1006, 'domofon',  'Умный домофон', 99.00, '2020-01-01', false);

-- A change log fed by triggers, for reconcile.watch: one row per change to
-- a contract or its services. Prune it now and then (DELETE ... WHERE
-- changed_at < now() - interval '1 day').
CREATE TABLE abonent_changes (
    abonent_id integer NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX abonent_changes_at ON abonent_changes (changed_at);

CREATE FUNCTION log_abonent_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'abonents' THEN
        INSERT INTO abonent_changes (abonent_id) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    ELSE
        INSERT INTO abonent_changes (abonent_id) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.abonent_id ELSE NEW.abonent_id END);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER abonents_changed AFTER INSERT OR UPDATE OR DELETE ON abonents
    FOR EACH ROW EXECUTE FUNCTION log_abonent_change();
CREATE TRIGGER services_changed AFTER INSERT OR UPDATE OR DELETE ON services
    FOR EACH ROW EXECUTE FUNCTION log_abonent_change();
