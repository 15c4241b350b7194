-- A cut-down ABillS billing on MariaDB (tables and columns as in ABillS's
-- db/abills.sql and db/Cams.sql of the ABillS sources; docs/billing.md shows the queries):
-- phones in users_contacts and in the legacy users_pi.phone, zero dates,
-- DOUBLE and DECIMAL money, a cp1251 table, a contract without users_pi.
-- Load: mysql billing < testdata/billing/mysql.sql
SET SESSION sql_mode = '';

CREATE TABLE users (
  uid        INT(11) UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id         VARCHAR(20) NOT NULL DEFAULT '',
  disable    TINYINT(2) UNSIGNED NOT NULL DEFAULT 0,
  deleted    TINYINT(1) UNSIGNED NOT NULL DEFAULT 0,
  bill_id    INT(11) UNSIGNED NOT NULL DEFAULT 0,
  company_id INT(11) UNSIGNED NOT NULL DEFAULT 0,
  credit     DOUBLE(10,2) NOT NULL DEFAULT 0
) DEFAULT CHARSET=utf8mb3;

CREATE TABLE bills (
  id      INT(11) UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  deposit DOUBLE(15,6) NOT NULL DEFAULT 0,
  uid     INT(11) UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARSET=utf8mb3;

-- Legacy install: personal data still in cp1251.
CREATE TABLE users_pi (
  uid            INT(11) UNSIGNED NOT NULL PRIMARY KEY,
  fio            VARCHAR(120) NOT NULL DEFAULT '',
  phone          VARCHAR(16) NOT NULL DEFAULT '',
  city           VARCHAR(20) NOT NULL DEFAULT '',
  address_street VARCHAR(100) NOT NULL DEFAULT '',
  address_build  VARCHAR(10) NOT NULL DEFAULT '',
  address_flat   VARCHAR(10) NOT NULL DEFAULT ''
) DEFAULT CHARSET=cp1251;

CREATE TABLE users_contacts (
  id      INT(11) UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  uid     INT(11) UNSIGNED NOT NULL,
  type_id SMALLINT(6) UNSIGNED NOT NULL,
  value   VARCHAR(250) NOT NULL DEFAULT ''
) DEFAULT CHARSET=utf8mb3;

CREATE TABLE tarif_plans (
  tp_id     SMALLINT(6) UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id        SMALLINT(5) UNSIGNED NOT NULL DEFAULT 0,
  module    VARCHAR(15) NOT NULL DEFAULT '',
  name      VARCHAR(80) NOT NULL DEFAULT '',
  month_fee DECIMAL(14,2) UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARSET=utf8mb3;

CREATE TABLE internet_main (
  id       INT(11) UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  uid      INT(11) UNSIGNED NOT NULL,
  tp_id    SMALLINT(6) UNSIGNED NOT NULL DEFAULT 0,
  disable  TINYINT(1) UNSIGNED NOT NULL DEFAULT 0,
  activate DATE NOT NULL DEFAULT '0000-00-00',
  expire   DATE NOT NULL DEFAULT '0000-00-00'
) DEFAULT CHARSET=utf8mb3;

CREATE TABLE iptv_main (
  id      INT(11) UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  uid     INT(11) UNSIGNED NOT NULL,
  tp_id   SMALLINT(6) UNSIGNED NOT NULL DEFAULT 0,
  disable TINYINT(1) UNSIGNED NOT NULL DEFAULT 0,
  expire  DATE NOT NULL DEFAULT '0000-00-00'
) DEFAULT CHARSET=utf8mb3;

CREATE TABLE cams_main (
  id       INT(11) UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  uid      INT(11) UNSIGNED NOT NULL,
  tp_id    SMALLINT(6) UNSIGNED NOT NULL DEFAULT 0,
  activate DATETIME DEFAULT NULL,
  status   TINYINT(1) UNSIGNED NOT NULL DEFAULT 0,
  expire   DATE NOT NULL DEFAULT '0000-00-00'
) DEFAULT CHARSET=utf8mb3;

INSERT INTO users (uid, id, disable, deleted, bill_id) VALUES
 (1, 'ivanov', 0, 0, 1), (2, 'petrova', 0, 0, 2), (3, 'sidorov', 0, 0, 3),
 (4, 'old', 0, 1, 4), (5, 'kuznetsov', 0, 0, 0), (6, 'smirnova', 4, 0, 6);

INSERT INTO bills (id, deposit, uid) VALUES
 (1, 120.5, 1), (2, -35.25, 2), (3, 0, 3), (4, 0, 4), (6, 0.004, 6);

INSERT INTO users_pi (uid, fio, phone, city, address_street, address_build, address_flat) VALUES
 (1, 'Иванов Иван', '', 'Иваново', 'ул. Ленина', '1', '12'),
 (2, 'Петрова Анна', '', 'Иваново', 'ул. Ленина', '1', '7а'),
 (3, 'Сидоров Пётр', '89105550001,8910', 'Иваново', 'ул. Мира', '5', ''),
 (4, 'Удалённый', '', 'Иваново', 'ул. Мира', '5', '3'),
 (6, 'Смирнова Ольга', '', 'Иваново', 'ул. Мира', '7', '12/1');

INSERT INTO users_contacts (uid, type_id, value) VALUES
 (1, 1, '+7 (910) 123-45-67'),
 (2, 2, '8-910-123-45-67; 8(4932)55-66-77'),
 (4, 1, '+79101234567'),
 (5, 1, '79105550005'),
 (6, 1, '8 910 555 00 06 / +7 910 555 00 07'),
 (6, 9, 'smirnova@example.org');

INSERT INTO tarif_plans (tp_id, id, module, name, month_fee) VALUES
 (1, 10, 'Internet', 'Домашний 100', 550.00),
 (2, 20, 'Iptv', 'Базовый', 199.00),
 (3, 30, 'Cams', 'Умный домофон', 99.00),
 (4, 31, 'Cams', 'Домофон+видео', 149.50);

INSERT INTO internet_main (uid, tp_id, disable, activate, expire) VALUES
 (1, 1, 0, '0000-00-00', '0000-00-00'),
 (2, 1, 5, '2025-03-01', '0000-00-00'),
 (3, 1, 0, '0000-00-00', '2099-12-31');

INSERT INTO iptv_main (uid, tp_id, disable, expire) VALUES (1, 2, 0, '0000-00-00');

INSERT INTO cams_main (uid, tp_id, activate, status, expire) VALUES
 (1, 3, '0000-00-00 00:00:00', 0, '0000-00-00'),
 (2, 3, '2025-03-01 12:00:00', 5, '0000-00-00'),
 (4, 3, NULL, 0, '0000-00-00'),
 (5, 4, NULL, 0, '2099-12-31'),
 (6, 3, '2025-01-10 09:30:00', 0, '2099-12-31');

-- What ABillS logs when money or a service changes (times in the server's
-- local time, as NOW() writes them): payments, fees, and admin_actions,
-- which also records what the system's periodic scripts do.
CREATE TABLE payments (
  id   INT(11) UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  date DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00',
  sum  DOUBLE(10,2) NOT NULL DEFAULT 0,
  uid  INT(11) UNSIGNED NOT NULL DEFAULT 0,
  KEY date (date)
) DEFAULT CHARSET=utf8mb3;

CREATE TABLE fees (
  id   INT(11) UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  date DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00',
  sum  DOUBLE(12,4) NOT NULL DEFAULT 0,
  uid  INT(11) UNSIGNED NOT NULL DEFAULT 0,
  KEY date (date)
) DEFAULT CHARSET=utf8mb3;

CREATE TABLE admin_actions (
  id       INT(11) UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  actions  VARCHAR(200) NOT NULL DEFAULT '',
  datetime DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00',
  uid      INT(11) UNSIGNED NOT NULL DEFAULT 0,
  aid      SMALLINT(6) UNSIGNED NOT NULL DEFAULT 0,
  module   VARCHAR(10) NOT NULL DEFAULT '',
  KEY datetime (datetime)
) DEFAULT CHARSET=utf8mb3;

INSERT INTO payments (date, sum, uid) VALUES ('2025-03-01 10:00:00', 500, 1);
INSERT INTO fees (date, sum, uid) VALUES ('2025-03-01 00:00:01', 99, 2);
INSERT INTO admin_actions (actions, datetime, uid, aid, module) VALUES ('STATUS 0->5', '2025-03-01 00:00:02', 2, 2, 'Cams');
