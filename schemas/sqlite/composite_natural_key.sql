CREATE TABLE production_run (
    line_name VARCHAR(20) NOT NULL,
    started_at TIMESTAMP NOT NULL,
    operator_shift TEXT NOT NULL,
    units INTEGER NOT NULL CHECK (units >= 0),
    PRIMARY KEY (line_name, started_at)
);
CREATE TABLE quality_sample (
    sample_id INTEGER PRIMARY KEY,
    line_name VARCHAR(20) NOT NULL,
    run_started_at TIMESTAMP NOT NULL,
    defects INTEGER NOT NULL,
    FOREIGN KEY (line_name, run_started_at) REFERENCES production_run (line_name, started_at)
);
INSERT INTO production_run
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
SELECT CASE i % 5 WHEN 0 THEN 'press' WHEN 1 THEN 'lathe' WHEN 2 THEN 'mill' WHEN 3 THEN 'weld' ELSE 'paint' END,
       datetime('2024-03-01 06:00:00', '+' || ((i / 5) * 8) || ' hours'),
       CASE (i / 5) % 3 WHEN 0 THEN 'early' WHEN 1 THEN 'late' ELSE 'night' END,
       40 + (i * 17) % 60
FROM n;
INSERT INTO quality_sample
WITH RECURSIVE n(s) AS (SELECT 1 UNION ALL SELECT s + 1 FROM n WHERE s < 400)
SELECT s,
       CASE ((s * 53) % 300) % 5 WHEN 0 THEN 'press' WHEN 1 THEN 'lathe' WHEN 2 THEN 'mill' WHEN 3 THEN 'weld' ELSE 'paint' END,
       datetime('2024-03-01 06:00:00', '+' || ((((s * 53) % 300) / 5) * 8) || ' hours'),
       (s * 7) % 5
FROM n;
