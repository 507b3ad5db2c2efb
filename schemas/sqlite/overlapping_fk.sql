CREATE TABLE part (p_partkey INTEGER PRIMARY KEY, p_brand TEXT NOT NULL, p_size INTEGER NOT NULL);
CREATE TABLE supplier (s_suppkey INTEGER PRIMARY KEY, s_region TEXT NOT NULL);
CREATE TABLE partsupp (
    ps_partkey INTEGER NOT NULL REFERENCES part (p_partkey),
    ps_suppkey INTEGER NOT NULL REFERENCES supplier (s_suppkey),
    ps_availqty INTEGER NOT NULL,
    PRIMARY KEY (ps_partkey, ps_suppkey)
);
CREATE TABLE orders (o_orderkey INTEGER PRIMARY KEY, o_orderdate DATE NOT NULL, o_priority TEXT NOT NULL);
CREATE TABLE lineitem (
    l_orderkey INTEGER NOT NULL REFERENCES orders (o_orderkey),
    l_linenumber INTEGER NOT NULL,
    l_partkey INTEGER NOT NULL REFERENCES part (p_partkey),
    l_suppkey INTEGER NOT NULL REFERENCES supplier (s_suppkey),
    l_quantity INTEGER NOT NULL,
    PRIMARY KEY (l_orderkey, l_linenumber),
    FOREIGN KEY (l_partkey, l_suppkey) REFERENCES partsupp (ps_partkey, ps_suppkey)
);
INSERT INTO part WITH RECURSIVE n(p) AS (SELECT 1 UNION ALL SELECT p + 1 FROM n WHERE p < 60)
SELECT p, 'Brand#' || (1 + p % 5), 1 + (p * 7) % 50 FROM n;
INSERT INTO supplier WITH RECURSIVE n(s) AS (SELECT 1 UNION ALL SELECT s + 1 FROM n WHERE s < 20)
SELECT s, CASE s % 3 WHEN 0 THEN 'EUROPE' WHEN 1 THEN 'ASIA' ELSE 'AMERICA' END FROM n;
INSERT INTO partsupp WITH RECURSIVE n(p) AS (SELECT 1 UNION ALL SELECT p + 1 FROM n WHERE p < 60),
    k(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM k WHERE k < 3)
SELECT p, 1 + (p + k * 5) % 20, 100 + (p * k * 13) % 900 FROM n, k;
INSERT INTO orders WITH RECURSIVE n(o) AS (SELECT 1 UNION ALL SELECT o + 1 FROM n WHERE o < 150)
SELECT o, date('2024-01-01', '+' || ((o * 3) % 300) || ' days'), CASE o % 3 WHEN 0 THEN '1-URGENT' WHEN 1 THEN '2-HIGH' ELSE '3-MEDIUM' END FROM n;
INSERT INTO lineitem WITH RECURSIVE n(o) AS (SELECT 1 UNION ALL SELECT o + 1 FROM n WHERE o < 150),
    m(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM m WHERE n < 3)
SELECT o, m.n, 1 + (o * 11 + m.n * 17) % 60, 1 + ((1 + (o * 11 + m.n * 17) % 60) + ((o + m.n) % 4) * 5) % 20, 1 + (o * m.n) % 40 FROM n, m;
