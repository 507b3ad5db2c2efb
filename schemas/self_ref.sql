-- Self-references: a nullable manager and a second, composite-free reference to the same table.
CREATE TABLE employee (
    employee_id integer PRIMARY KEY,
    name text NOT NULL,
    manager_id integer REFERENCES employee (employee_id) ON DELETE SET NULL,
    mentor_id integer,
    CONSTRAINT employee_mentor_fkey FOREIGN KEY (mentor_id) REFERENCES employee (employee_id)
);
INSERT INTO employee VALUES (1, 'Root', NULL, NULL), (2, 'Mid', 1, NULL), (3, 'Leaf', 2, 1), (4, 'Leaf2', 2, 2);
