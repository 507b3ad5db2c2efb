CREATE TABLE employee (
    employee_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    manager_id INTEGER REFERENCES employee (employee_id) ON DELETE SET NULL,
    mentor_id INTEGER,
    CONSTRAINT employee_mentor_fkey FOREIGN KEY (mentor_id) REFERENCES employee (employee_id)
        DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO employee VALUES (1, 'Root', NULL, NULL), (2, 'Mid', 1, NULL), (3, 'Leaf', 2, 1), (4, 'Leaf2', 2, 2);
