-- Text and varchar primary and foreign keys.
CREATE TABLE author (
    handle varchar(32) PRIMARY KEY,
    display_name text NOT NULL
);
CREATE TABLE post (
    slug text PRIMARY KEY,
    author_handle varchar(32) NOT NULL REFERENCES author (handle),
    title text NOT NULL
);
CREATE TABLE post_tag (
    post_slug text NOT NULL REFERENCES post (slug),
    tag varchar(20) NOT NULL,
    PRIMARY KEY (post_slug, tag)
);
INSERT INTO author VALUES ('ada', 'Ada L.'), ('alan', 'Alan T.');
INSERT INTO post VALUES ('engines', 'ada', 'On engines'), ('machines', 'alan', 'On machines');
INSERT INTO post_tag VALUES ('engines', 'history'), ('engines', 'math'), ('machines', 'math');
