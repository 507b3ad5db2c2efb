-- A foreign key to a UNIQUE text key that is not the primary key.
CREATE TABLE country (
    country_id integer PRIMARY KEY,
    iso_code char(2) NOT NULL,
    name text NOT NULL,
    CONSTRAINT country_iso_code_key UNIQUE (iso_code)
);
CREATE TABLE city (
    city_id integer PRIMARY KEY,
    name text NOT NULL,
    country_iso char(2) NOT NULL REFERENCES country (iso_code)
);
INSERT INTO country VALUES (1, 'DE', 'Germany'), (2, 'FR', 'France'), (3, 'CZ', 'Czechia');
INSERT INTO city VALUES (1, 'Berlin', 'DE'), (2, 'Paris', 'FR'), (3, 'Lyon', 'FR'), (4, 'Brno', 'CZ');
