CREATE TABLE production_run (
    line_name VARCHAR(20) NOT NULL,
    started_at DATETIME NOT NULL,
    operator_shift VARCHAR(10) NOT NULL,
    units INT NOT NULL CHECK (units >= 0),
    PRIMARY KEY (line_name, started_at)
);
CREATE TABLE quality_sample (
    sample_id INT PRIMARY KEY,
    line_name VARCHAR(20) NOT NULL,
    run_started_at DATETIME NOT NULL,
    defects INT NOT NULL,
    FOREIGN KEY (line_name, run_started_at) REFERENCES production_run (line_name, started_at)
);
INSERT INTO production_run
SELECT ELT(1 + seq % 5, 'press', 'lathe', 'mill', 'weld', 'paint'),
       TIMESTAMP '2024-03-01 06:00:00' + INTERVAL ((seq DIV 5) * 8) HOUR,
       ELT(1 + (seq DIV 5) % 3, 'early', 'late', 'night'),
       40 + (seq * 17) % 60
FROM seq_0_to_299;
INSERT INTO quality_sample
SELECT seq, ELT(1 + ((seq * 53) % 300) % 5, 'press', 'lathe', 'mill', 'weld', 'paint'),
       TIMESTAMP '2024-03-01 06:00:00' + INTERVAL ((((seq * 53) % 300) DIV 5) * 8) HOUR,
       (seq * 7) % 5
FROM seq_1_to_400;
