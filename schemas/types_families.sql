-- PostgreSQL types with a syntax of their own, 240 rows of them: each must come back valid and
-- learned (address families, prefix lengths, bit lengths, array lengths, XML shapes, lexemes).
CREATE TYPE color AS ENUM ('red', 'green', 'blue');
CREATE DOMAIN warm AS color CHECK (VALUE <> 'blue');
CREATE DOMAIN host_address AS inet;

CREATE TABLE device (
    device_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    price money NOT NULL,
    spec xml,
    ip inet NOT NULL,
    subnet cidr,
    gateway host_address,
    mac macaddr,
    mac8 macaddr8,
    flags bit(8) NOT NULL,
    history bit varying(16),
    search tsvector,
    query tsquery,
    seen_from inet[],
    colors color[],
    shade warm,
    fees money[],
    owners uuid[]
);

INSERT INTO device (price, spec, ip, subnet, gateway, mac, mac8, flags, history, search, query, seen_from, colors, shade, fees, owners)
SELECT ((g * 37) % 1000 + 0.25)::numeric::money,
       xmlparse(document '<device model="M' || (g % 4) || '" rev="' || (g % 9) || '"><port speed="' || (100 * (1 + g % 3)) || '">eth' || (g % 2)
                || '</port><port speed="1000">uplink</port><note>unit ' || g || ' in rack ' || (g % 12) || '</note></device>'),
       CASE WHEN g % 4 = 0 THEN ('2001:db8:' || to_hex(g % 16) || '::' || to_hex(g))::inet
            ELSE ('10.' || (g % 2) || '.' || (g % 7) || '.' || (1 + g % 250) || CASE WHEN g % 3 = 0 THEN '/24' ELSE '' END)::inet END,
       ('172.16.' || (g % 32) || '.0/' || (24 + g % 2 * 4))::cidr,
       ('192.168.' || (g % 3) || '.1')::inet,
       ('00:1a:2b:' || lpad(to_hex(g % 256), 2, '0') || ':' || lpad(to_hex((g * 7) % 256), 2, '0') || ':01')::macaddr,
       ('00:1a:2b:ff:fe:' || lpad(to_hex(g % 256), 2, '0') || ':00:02')::macaddr8,
       ((g * 13) % 256)::bit(8),
       substring('1011001110001111' FROM 1 FOR 4 + g % 12)::varbit,
       to_tsvector('english', 'the switch routes packets between racks ' || CASE WHEN g % 2 = 0 THEN 'quickly' ELSE 'slowly' END || ' unit' || g),
       to_tsquery('english', CASE WHEN g % 3 = 0 THEN 'switch & rack' ELSE 'packet | route' END),
       CASE WHEN g % 5 = 0 THEN NULL ELSE (SELECT array_agg(('10.9.' || (g % 5) || '.' || (k * 3 + g % 50))::inet) FROM generate_series(1, 1 + g % 4) k) END,
       CASE WHEN g % 3 = 0 THEN ARRAY['red', 'blue']::color[] ELSE ARRAY['green']::color[] END,
       (CASE WHEN g % 2 = 0 THEN 'red' ELSE 'green' END)::warm,
       ARRAY[(g % 50 + 0.5)::numeric::money, 2.5::numeric::money],
       ARRAY[md5('a' || g)::uuid, md5('b' || g)::uuid]
FROM generate_series(1, 240) AS g;
