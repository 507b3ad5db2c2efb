CREATE TABLE zoo (
    id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    feeling ENUM('sad', 'ok', 'happy') NOT NULL DEFAULT 'ok',
    code VARCHAR(10) NOT NULL,
    price DECIMAL(12, 3),
    ratio DOUBLE,
    flag BOOLEAN DEFAULT TRUE,
    blob_col BLOB,
    born DATE,
    wake TIME,
    seen DATETIME,
    stamp TIMESTAMP NULL,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    price_with_tax DECIMAL(12, 3) AS (price * 1.2) STORED,
    code_lower VARCHAR(10) AS (lower(code)) VIRTUAL,
    CONSTRAINT zoo_code_key UNIQUE (code),
    CONSTRAINT zoo_dates_check CHECK (end_date > start_date)
) COMMENT = 'every type once';
ALTER TABLE zoo MODIFY price DECIMAL(12, 3) COMMENT 'in euro';
CREATE INDEX zoo_born_idx ON zoo (born);
CREATE VIEW happy_zoo AS SELECT id, code FROM zoo WHERE feeling = 'happy';
INSERT INTO zoo (feeling, code, price, ratio, flag, blob_col, born, wake, seen, stamp, start_date, end_date)
VALUES ('happy', 'ABC', 12.345, 0.5, TRUE, X'DEADBEEF', '2020-02-29', '07:30', '2024-01-01 12:00', NULL, '2024-01-01', '2024-02-01');
