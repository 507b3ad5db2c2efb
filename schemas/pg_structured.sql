-- PostgreSQL's structured built-in types with realistic rows: geometry, ranges, multiranges,
-- intervals and times, and room bookings under an exclusion constraint (btree_gist).
BEGIN;
CREATE EXTENSION IF NOT EXISTS btree_gist;
SELECT setseed(0.42);

CREATE TABLE site (
    id serial PRIMARY KEY,
    name text NOT NULL,
    location point NOT NULL,
    footprint box NOT NULL,
    coverage circle,
    boundary polygon,
    route path,
    frontage lseg,
    axis line
);
INSERT INTO site (name, location, footprint, coverage, boundary, route, frontage, axis)
SELECT 'site ' || g,
       point(x, y),
       box(point(x, y), point(x + w, y + h)),
       CASE WHEN g % 10 = 0 THEN NULL ELSE circle(point(x, y), 0.5 + w) END,
       polygon(box(point(x, y), point(x + w, y + h))),
       CASE WHEN g % 3 = 0 THEN path(polygon(box(point(x, y), point(x + w, y + h))))
            ELSE ('[(' || x || ',' || y || '),(' || (x + w) || ',' || y || '),(' || (x + w) || ',' || (y + h) || ')]')::path END,
       lseg(point(x, y), point(x + w, y)),
       line(point(x, y), point(x + 1, y + 2))
FROM (SELECT g, round((-10 + 40 * random())::numeric, 3)::float8 AS x, round((40 + 20 * random())::numeric, 3)::float8 AS y,
             round((0.5 + 2 * random())::numeric, 2)::float8 AS w, round((0.5 + random())::numeric, 2)::float8 AS h
      FROM generate_series(1, 160) g) s;

CREATE TABLE rate_plan (
    id serial PRIMARY KEY,
    code text NOT NULL,
    nights int4range NOT NULL,
    guests int8range,
    price numrange,
    season daterange,
    checkin tsrange,
    promo tstzrange
);
INSERT INTO rate_plan (code, nights, guests, price, season, checkin, promo)
SELECT 'plan ' || g,
       int4range(n, n + 1 + (g % 7)),
       CASE WHEN g % 5 = 0 THEN int8range(2, NULL) ELSE int8range(1, 2 + g % 4) END,
       numrange(round((40 + 60 * random())::numeric, 2), round((120 + 80 * random())::numeric, 2), '[]'),
       CASE WHEN g % 8 = 0 THEN 'empty'::daterange
            WHEN g % 11 = 0 THEN daterange(d, NULL)
            ELSE daterange(d, d + 7 + (g % 30)) END,
       tsrange(date '2024-01-01' + (g % 90) + time '14:00', date '2024-01-01' + (g % 90) + time '14:00' + (1 + g % 3) * interval '1 hour'),
       CASE WHEN g % 4 = 0 THEN NULL ELSE tstzrange(timestamptz '2024-01-01 00:00+00' + g * interval '1 day', NULL) END
FROM (SELECT g, 1 + (random() * 5)::int AS n, date '2024-01-01' + (random() * 300)::int AS d FROM generate_series(1, 160) g) s;

CREATE TABLE schedule (
    id serial PRIMARY KEY,
    label text NOT NULL,
    slots int4multirange NOT NULL,
    closures datemultirange
);
INSERT INTO schedule (label, slots, closures)
SELECT 'schedule ' || g,
       int4multirange(int4range(s, s + 2 + g % 3), int4range(s + 8, s + 10 + g % 4)),
       CASE WHEN g % 6 = 0 THEN '{}'::datemultirange
            ELSE datemultirange(daterange(d, d + 3), daterange(d + 10 + g % 5, d + 14 + g % 5)) END
FROM (SELECT g, (random() * 100)::int AS s, date '2024-02-01' + (random() * 200)::int AS d FROM generate_series(1, 160) g) t;

CREATE TABLE timing (
    id serial PRIMARY KEY,
    stay interval NOT NULL,
    opens time NOT NULL,
    closes timetz
);
INSERT INTO timing (stay, opens, closes)
SELECT (1 + (random() * 72)::int) * interval '1 hour' + (random() * 59)::int * interval '1 minute',
       time '06:00' + (random() * 240)::int * interval '1 minute',
       timetz '18:00+01' + (random() * 240)::int * interval '1 minute'
FROM generate_series(1, 160) g;

CREATE TABLE room (
    id serial PRIMARY KEY,
    name text NOT NULL,
    floor int NOT NULL
);
INSERT INTO room (name, floor) SELECT 'room ' || g, g % 4 FROM generate_series(1, 12) g;

CREATE TABLE booking (
    id serial PRIMARY KEY,
    room_id int NOT NULL REFERENCES room (id),
    guests int NOT NULL,
    during tstzrange NOT NULL,
    CONSTRAINT booking_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&)
);
INSERT INTO booking (room_id, guests, during)
SELECT r, 1 + (r * 7 + k) % 4, tstzrange(t, t + (1 + (r + k) % 3) * interval '1 day')
FROM generate_series(1, 12) r, generate_series(0, 19) k,
     LATERAL (SELECT timestamptz '2024-03-01 14:00+00' + k * interval '4 days' AS t) s;

CREATE TABLE desk_booking (
    id serial PRIMARY KEY,
    desk int NOT NULL,
    starts_at timestamp NOT NULL,
    ends_at timestamp NOT NULL,
    CHECK (ends_at > starts_at),
    EXCLUDE USING gist (desk WITH =, tsrange(starts_at, ends_at, '[]') WITH &&)
);
INSERT INTO desk_booking (desk, starts_at, ends_at)
SELECT d, t, t + (1 + (d + k) % 4) * interval '1 hour'
FROM generate_series(1, 8) d, generate_series(0, 14) k,
     LATERAL (SELECT timestamp '2024-04-01 08:00' + k * interval '5 hours' AS t) s;
COMMIT;
