CREATE TABLE part (p_partkey INT PRIMARY KEY, p_brand VARCHAR(10) NOT NULL, p_size INT NOT NULL);
CREATE TABLE supplier (s_suppkey INT PRIMARY KEY, s_region VARCHAR(10) NOT NULL);
CREATE TABLE partsupp (
    ps_partkey INT NOT NULL,
    ps_suppkey INT NOT NULL,
    ps_availqty INT NOT NULL,
    PRIMARY KEY (ps_partkey, ps_suppkey),
    FOREIGN KEY (ps_partkey) REFERENCES part (p_partkey),
    FOREIGN KEY (ps_suppkey) REFERENCES supplier (s_suppkey)
);
CREATE TABLE orders (o_orderkey INT PRIMARY KEY, o_orderdate DATE NOT NULL, o_priority VARCHAR(10) NOT NULL);
CREATE TABLE lineitem (
    l_orderkey INT NOT NULL,
    l_linenumber INT NOT NULL,
    l_partkey INT NOT NULL,
    l_suppkey INT NOT NULL,
    l_quantity INT NOT NULL,
    PRIMARY KEY (l_orderkey, l_linenumber),
    FOREIGN KEY (l_orderkey) REFERENCES orders (o_orderkey),
    FOREIGN KEY (l_partkey) REFERENCES part (p_partkey),
    FOREIGN KEY (l_suppkey) REFERENCES supplier (s_suppkey),
    FOREIGN KEY (l_partkey, l_suppkey) REFERENCES partsupp (ps_partkey, ps_suppkey)
);
INSERT INTO part SELECT seq, CONCAT('Brand#', 1 + seq % 5), 1 + (seq * 7) % 50 FROM seq_1_to_60;
INSERT INTO supplier SELECT seq, ELT(1 + seq % 3, 'EUROPE', 'ASIA', 'AMERICA') FROM seq_1_to_20;
INSERT INTO partsupp SELECT p.seq, 1 + (p.seq + k.seq * 5) % 20, 100 + (p.seq * k.seq * 13) % 900 FROM seq_1_to_60 p, seq_0_to_3 k;
INSERT INTO orders SELECT seq, DATE '2024-01-01' + INTERVAL ((seq * 3) % 300) DAY, ELT(1 + seq % 3, '1-URGENT', '2-HIGH', '3-MEDIUM') FROM seq_1_to_150;
INSERT INTO lineitem
SELECT o.seq, m.seq, 1 + (o.seq * 11 + m.seq * 17) % 60, 1 + ((1 + (o.seq * 11 + m.seq * 17) % 60) + ((o.seq + m.seq) % 4) * 5) % 20, 1 + (o.seq * m.seq) % 40
FROM seq_1_to_150 o, seq_1_to_3 m;
