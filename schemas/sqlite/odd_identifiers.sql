CREATE TABLE "group" (
    "id" INTEGER PRIMARY KEY,
    "Mixed Case" TEXT NOT NULL,
    "with space" TEXT,
    "it""s" TEXT,
    "größe" INTEGER
);
CREATE TABLE "order" (
    "order" INTEGER PRIMARY KEY,
    "group" INTEGER NOT NULL REFERENCES "group" ("id"),
    "select" TEXT
);
INSERT INTO "group" VALUES (1, 'A', 'a b', 'it''s', 3), (2, 'B', NULL, NULL, NULL);
INSERT INTO "order" VALUES (1, 1, 'x'), (2, 2, NULL);
