-- Identifiers that must be quoted: reserved words, mixed case, spaces, a quote, unicode.
CREATE TABLE "group" (
    "id" integer PRIMARY KEY,
    "Mixed Case" text NOT NULL,
    "with space" text,
    "it""s" text,
    "größe" integer
);
CREATE TABLE "order" (
    "order" integer PRIMARY KEY,
    "group" integer NOT NULL REFERENCES "group" ("id"),
    "select" text
);
CREATE TABLE "Mixed Case" (
    "Key" integer PRIMARY KEY,
    "order ref" integer REFERENCES "order" ("order")
);
INSERT INTO "group" VALUES (1, 'A', 'a b', 'it''s', 3), (2, 'B', NULL, NULL, NULL);
INSERT INTO "order" VALUES (1, 1, 'x'), (2, 2, NULL);
INSERT INTO "Mixed Case" VALUES (1, 1), (2, NULL);
