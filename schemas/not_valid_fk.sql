-- A foreign key added NOT VALID over rows that violate it (order 3 has no customer 99).
CREATE TABLE customer (
    customer_id integer PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE purchase (
    purchase_id integer PRIMARY KEY,
    customer_id integer NOT NULL,
    total numeric(10, 2) NOT NULL
);
INSERT INTO customer VALUES (1, 'Ann'), (2, 'Bob');
INSERT INTO purchase VALUES (1, 1, 10.00), (2, 2, 5.50), (3, 99, 1.25);
ALTER TABLE purchase ADD CONSTRAINT purchase_customer_id_fkey
    FOREIGN KEY (customer_id) REFERENCES customer (customer_id) NOT VALID;
