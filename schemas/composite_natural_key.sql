-- Composite natural keys (a text column plus a timestamp) referenced by composite foreign keys.
-- 5 lines x 60 eight-hour slots fill the whole grid of production_run, and each station's shifts
-- fall on 12-hour slots, so generated keys collide often: a colliding row must be moved to a free
-- key, never dropped while samples and incidents point at it.
CREATE TABLE production_run (
    line_name varchar(20) NOT NULL,
    started_at timestamp(0) NOT NULL,
    operator_shift text NOT NULL,
    units integer NOT NULL CHECK (units >= 0),
    PRIMARY KEY (line_name, started_at)
);
CREATE TABLE quality_sample (
    sample_id integer PRIMARY KEY,
    line_name varchar(20) NOT NULL,
    run_started_at timestamp(0) NOT NULL,
    defects integer NOT NULL,
    FOREIGN KEY (line_name, run_started_at) REFERENCES production_run (line_name, started_at)
);
CREATE TABLE station (
    station_code varchar(6) PRIMARY KEY,
    city text NOT NULL
);
CREATE TABLE shift (
    station_code varchar(6) NOT NULL REFERENCES station (station_code),
    started_at timestamp NOT NULL,
    supervisor text NOT NULL,
    crew integer NOT NULL,
    PRIMARY KEY (station_code, started_at)
);
CREATE TABLE incident (
    incident_id integer PRIMARY KEY,
    station_code varchar(6) NOT NULL,
    shift_started_at timestamp NOT NULL,
    severity text NOT NULL,
    FOREIGN KEY (station_code, shift_started_at) REFERENCES shift (station_code, started_at)
);
INSERT INTO production_run
SELECT (ARRAY['press', 'lathe', 'mill', 'weld', 'paint'])[1 + i % 5],
       TIMESTAMP '2024-03-01 06:00' + (i / 5) * INTERVAL '8 hours',
       (ARRAY['early', 'late', 'night'])[1 + (i / 5) % 3],
       40 + (i * 17) % 60
FROM generate_series(0, 299) AS i;
INSERT INTO quality_sample
SELECT s, (ARRAY['press', 'lathe', 'mill', 'weld', 'paint'])[1 + r % 5],
       TIMESTAMP '2024-03-01 06:00' + (r / 5) * INTERVAL '8 hours', (s * 7) % 5
FROM generate_series(1, 400) AS s, LATERAL (SELECT (s * 53) % 300 AS r) AS pick;
INSERT INTO station
SELECT 'ST' || lpad(i::text, 3, '0'), (ARRAY['Oslo', 'Bergen', 'Tromso'])[1 + i % 3]
FROM generate_series(1, 8) AS i;
INSERT INTO shift
SELECT 'ST' || lpad((1 + i % 8)::text, 3, '0'), TIMESTAMP '2024-05-01 07:00' + (i / 8) * INTERVAL '12 hours',
       (ARRAY['Kari', 'Ola', 'Nils', 'Siri'])[1 + (i * 3) % 4], 3 + i % 4
FROM generate_series(0, 239) AS i;
INSERT INTO incident
SELECT n, 'ST' || lpad((1 + r % 8)::text, 3, '0'), TIMESTAMP '2024-05-01 07:00' + (r / 8) * INTERVAL '12 hours',
       (ARRAY['low', 'low', 'medium', 'high'])[1 + n % 4]
FROM generate_series(1, 300) AS n, LATERAL (SELECT (n * 29) % 240 AS r) AS pick;
-- A key over a self-reference, filled once every row exists: each mentor's mentees have distinct ranks.
CREATE TABLE crew_member (
    member_id integer PRIMARY KEY,
    station_code varchar(6) NOT NULL REFERENCES station (station_code),
    mentor_id integer REFERENCES crew_member (member_id),
    rank integer NOT NULL,
    CONSTRAINT crew_member_mentor_rank_key UNIQUE (mentor_id, rank)
);
INSERT INTO crew_member
SELECT i, 'ST' || lpad((1 + i % 8)::text, 3, '0'), CASE WHEN i <= 10 THEN NULL ELSE 1 + i % 10 END, i / 10
FROM generate_series(1, 160) AS i;
