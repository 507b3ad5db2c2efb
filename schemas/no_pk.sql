-- A table without a primary key (an append-only log), pointing at a keyed parent.
CREATE TABLE device (
    device_id integer PRIMARY KEY,
    label text NOT NULL
);
CREATE TABLE reading_log (
    device_id integer NOT NULL REFERENCES device (device_id),
    taken_at timestamp NOT NULL,
    value double precision
);
INSERT INTO device VALUES (1, 'boiler'), (2, 'attic');
INSERT INTO reading_log VALUES (1, '2024-01-01 10:00', 61.5), (1, '2024-01-01 10:00', 61.5), (2, '2024-01-01 11:00', NULL);
