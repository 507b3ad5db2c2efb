-- MariaDB's own types, 240 rows: each must come back valid and learned.
CREATE TABLE gadget (
    gadget_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    status ENUM('new', 'paid', 'shipped') NOT NULL,
    tags SET('red', 'green', 'blue', 'big'),
    made YEAR,
    mask BIT(6) NOT NULL,
    lit BIT(1),
    attrs JSON,
    duration TIME,
    happened DATETIME(3),
    amount DECIMAL(10, 2) UNSIGNED,
    views INT UNSIGNED,
    counter BIGINT UNSIGNED,
    level TINYINT UNSIGNED,
    active TINYINT(1) NOT NULL,
    photo BLOB,
    token BINARY(4),
    code VARBINARY(12),
    place POINT,
    area POLYGON
);
INSERT INTO gadget (status, tags, made, mask, lit, attrs, duration, happened, amount, views, counter, level, active, photo, token, code, place, area)
WITH RECURSIVE seq (g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < 240)
SELECT ELT(1 + g % 3, 'new', 'paid', 'shipped'),
       ELT(1 + g % 5, 'red', 'red,big', 'green,blue', NULL, 'blue'),
       1990 + g % 30,
       (g * 7) % 64,
       g % 2,
       JSON_OBJECT('size', ELT(1 + g % 3, 'S', 'M', 'L'), 'qty', 1 + g % 9, 'gift', IF(g % 4 = 0, TRUE, FALSE)),
       SEC_TO_TIME((g * 997) % 86000),
       TIMESTAMPADD(SECOND, g * 3571, '2024-01-01 08:00:00.250'),
       (g * 13) % 500 + 0.99,
       3000000000 + g * 1000,
       9223372036854775808 + g * 1000000,
       g % 256,
       g % 3 = 0,
       UNHEX(REPEAT('89504E47', 2 + g % 5)),
       UNHEX(LPAD(HEX(g), 8, '0')),
       UNHEX(REPEAT('AB', 1 + g % 12)),
       ST_GeomFromText(CONCAT('POINT(', 2 + (g % 10) / 10, ' ', 48 + (g % 7) / 10, ')')),
       ST_GeomFromText(CONCAT('POLYGON((', g % 5, ' 0,', g % 5 + 1, ' 0,', g % 5 + 1, ' 1,', g % 5, ' 0))'))
FROM seq;
