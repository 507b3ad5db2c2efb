CREATE TABLE zoo (
    id INTEGER PRIMARY KEY,
    code VARCHAR(10) NOT NULL UNIQUE,
    price NUMERIC(12, 3),
    ratio REAL,
    flag BOOLEAN DEFAULT 1,
    born DATE,
    seen DATETIME,
    blob BLOB,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    price_with_tax NUMERIC(12, 3) GENERATED ALWAYS AS (price * 1.2) STORED,
    code_lower TEXT GENERATED ALWAYS AS (lower(code)) VIRTUAL,
    CONSTRAINT zoo_dates_check CHECK (end_date > start_date)
);
CREATE TABLE keyed (
    k INT PRIMARY KEY,
    v TEXT
);
CREATE INDEX zoo_born_idx ON zoo (born);
CREATE VIEW happy_zoo AS SELECT id, code FROM zoo WHERE flag = 1;
CREATE TRIGGER zoo_touch AFTER UPDATE ON zoo BEGIN SELECT 1; END;
INSERT INTO zoo (id, code, price, ratio, flag, born, seen, blob, start_date, end_date)
VALUES (1, 'ABC', 12.345, 0.5, 1, '2020-02-29', '2024-01-01 12:00:00', X'DEADBEEF', '2024-01-01', '2024-02-01');
INSERT INTO keyed VALUES (1, 'a');
