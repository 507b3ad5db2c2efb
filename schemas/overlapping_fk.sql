-- TPC-H's overlapping foreign keys: a line item points at a part, at a supplier and at their
-- link row in partsupp through the same two columns, so the pair must be a pair of partsupp.
CREATE TABLE part (
    p_partkey integer PRIMARY KEY,
    p_brand text NOT NULL,
    p_size integer NOT NULL
);
CREATE TABLE supplier (
    s_suppkey integer PRIMARY KEY,
    s_region text NOT NULL
);
CREATE TABLE partsupp (
    ps_partkey integer NOT NULL REFERENCES part (p_partkey),
    ps_suppkey integer NOT NULL REFERENCES supplier (s_suppkey),
    ps_availqty integer NOT NULL,
    PRIMARY KEY (ps_partkey, ps_suppkey)
);
CREATE TABLE orders (
    o_orderkey integer PRIMARY KEY,
    o_orderdate date NOT NULL,
    o_priority text NOT NULL
);
CREATE TABLE lineitem (
    l_orderkey integer NOT NULL REFERENCES orders (o_orderkey),
    l_linenumber integer NOT NULL,
    l_partkey integer NOT NULL REFERENCES part (p_partkey),
    l_suppkey integer NOT NULL REFERENCES supplier (s_suppkey),
    l_quantity integer NOT NULL,
    PRIMARY KEY (l_orderkey, l_linenumber),
    FOREIGN KEY (l_partkey, l_suppkey) REFERENCES partsupp (ps_partkey, ps_suppkey)
);
INSERT INTO part
SELECT p, 'Brand#' || (1 + p % 5), 1 + (p * 7) % 50 FROM generate_series(1, 60) AS p;
INSERT INTO supplier
SELECT s, (ARRAY['EUROPE', 'ASIA', 'AMERICA'])[1 + s % 3] FROM generate_series(1, 20) AS s;
INSERT INTO partsupp
SELECT p, 1 + (p + k * 5) % 20, 100 + (p * k * 13) % 900
FROM generate_series(1, 60) AS p, generate_series(0, 3) AS k;
INSERT INTO orders
SELECT o, DATE '2024-01-01' + (o * 3) % 300, (ARRAY['1-URGENT', '2-HIGH', '3-MEDIUM'])[1 + o % 3]
FROM generate_series(1, 150) AS o;
INSERT INTO lineitem
SELECT o, n, p, 1 + (p + ((o + n) % 4) * 5) % 20, 1 + (o * n) % 40
FROM generate_series(1, 150) AS o, generate_series(1, 3) AS n, LATERAL (SELECT 1 + (o * 11 + n * 17) % 60 AS p) AS pick;
