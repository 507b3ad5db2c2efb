CREATE TABLE member (
    member_id INTEGER PRIMARY KEY,
    email VARCHAR(80) NOT NULL,
    code VARCHAR(8) NOT NULL,
    active BOOLEAN NOT NULL,
    plan TEXT NOT NULL
);
CREATE UNIQUE INDEX member_code_active ON member (code) WHERE active;
CREATE UNIQUE INDEX member_email_lower ON member (lower(email));
CREATE TABLE visit (
    visit_id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES member (member_id),
    visited_on DATE NOT NULL
);
INSERT INTO member
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
SELECT i,
       CASE i % 5 WHEN 0 THEN 'Ana' WHEN 1 THEN 'bo' WHEN 2 THEN 'Cy' WHEN 3 THEN 'dee' ELSE 'Eli' END
           || '.' || i || '@Example.' || CASE i % 3 WHEN 0 THEN 'com' WHEN 1 THEN 'org' ELSE 'net' END,
       'C' || substr('000' || (i % 150), -3),
       i < 150,
       CASE (i * 7) % 4 WHEN 2 THEN 'plus' WHEN 3 THEN 'pro' ELSE 'basic' END
FROM n;
INSERT INTO visit
WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 600)
SELECT v, (v * 37) % 300, date('2024-01-01', '+' || ((v * 13) % 180) || ' days') FROM n;
