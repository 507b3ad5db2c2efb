CREATE TABLE employee (
    employee_id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(40) NOT NULL,
    manager_id INTEGER,
    mentor_id INTEGER,
    CONSTRAINT employee_manager_fkey FOREIGN KEY (manager_id) REFERENCES employee (employee_id) ON DELETE SET NULL,
    CONSTRAINT employee_mentor_fkey FOREIGN KEY (mentor_id) REFERENCES employee (employee_id)
);
INSERT INTO employee VALUES (1, 'Root', NULL, NULL), (2, 'Mid', 1, NULL), (3, 'Leaf', 2, 1), (4, 'Leaf2', 2, 2);
