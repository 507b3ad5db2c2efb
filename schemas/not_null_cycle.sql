-- Two tables that reference each other through NOT NULL columns: loadable only with deferred checks.
CREATE TABLE team (
    team_id integer PRIMARY KEY,
    name text NOT NULL,
    captain_id integer NOT NULL
);
CREATE TABLE player (
    player_id integer PRIMARY KEY,
    name text NOT NULL,
    team_id integer NOT NULL REFERENCES team (team_id) DEFERRABLE INITIALLY IMMEDIATE
);
ALTER TABLE team ADD CONSTRAINT team_captain_id_fkey
    FOREIGN KEY (captain_id) REFERENCES player (player_id) DEFERRABLE INITIALLY DEFERRED;
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO team VALUES (1, 'Reds', 10), (2, 'Blues', 20);
INSERT INTO player VALUES (10, 'Ann', 1), (11, 'Ben', 1), (20, 'Cid', 2), (21, 'Dee', 2);
COMMIT;
