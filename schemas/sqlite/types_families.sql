-- SQLite's declared types: affinities, odd names, and no type at all; 240 rows.
CREATE TABLE reading (
    reading_id INTEGER PRIMARY KEY,
    quantity INTEGER NOT NULL,
    score REAL,
    amount NUMERIC,
    label TEXT,
    raw BLOB,
    code "VARCHAR(10)",
    taken DATETIME,
    born DATE,
    ok BOOLEAN,
    anything,
    counted,
    price MONEY,
    big INT8,
    ratio DOUBLE PRECISION,
    misc STRING
);
WITH RECURSIVE seq (g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < 240)
INSERT INTO reading (quantity, score, amount, label, raw, code, taken, born, ok, anything, counted, price, big, ratio, misc)
SELECT 1 + g % 50, (g % 97) / 10.0, (g * 13) % 1000 / 100.0, 'lbl' || (g % 3), randomblob(4 + g % 8),
       'C' || (g % 7), datetime('2024-01-01 08:00:00', '+' || (g * 3571) || ' seconds'), date('1960-01-01', '+' || (g * 97) || ' days'),
       g % 2, CASE WHEN g % 2 = 0 THEN g * 1.5 ELSE g END, g * 3, (g % 40) + 0.5, g * 1000000007, g / 7.0, g * 11
FROM seq;
