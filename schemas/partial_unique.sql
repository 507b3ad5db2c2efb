-- Unique indexes the generator must honour although they are not plain column keys: a partial
-- unique index (a code is unique among active members only; retired members keep theirs) and an
-- expression unique index (emails are unique whatever their case). 150 codes over 300 members, one
-- active holder each, so generated rows collide on codes unless the index is honoured.
CREATE TABLE member (
    member_id integer PRIMARY KEY,
    email varchar(80) NOT NULL,
    code varchar(8) NOT NULL,
    active boolean NOT NULL,
    plan text NOT NULL
);
CREATE UNIQUE INDEX member_code_active ON member (code) WHERE active;
CREATE UNIQUE INDEX member_email_lower ON member (lower(email));
CREATE TABLE visit (
    visit_id integer PRIMARY KEY,
    member_id integer NOT NULL REFERENCES member (member_id),
    visited_on date NOT NULL
);
INSERT INTO member
SELECT i,
       (ARRAY['Ana', 'bo', 'Cy', 'dee', 'Eli'])[1 + i % 5] || '.' || i || '@Example.' || (ARRAY['com', 'org', 'net'])[1 + i % 3],
       'C' || lpad((i % 150)::text, 3, '0'),
       i < 150,
       (ARRAY['basic', 'basic', 'plus', 'pro'])[1 + (i * 7) % 4]
FROM generate_series(0, 299) AS i;
INSERT INTO visit
SELECT v, (v * 37) % 300, DATE '2024-01-01' + (v * 13) % 180
FROM generate_series(1, 600) AS v;
