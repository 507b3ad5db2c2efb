-- Composite primary key referenced by a composite foreign key (columns in a different order
-- from the table's column order, so order-sensitivity is visible).
CREATE TABLE warehouse_bin (
    warehouse_code text NOT NULL,
    aisle integer NOT NULL,
    bin_no integer NOT NULL,
    capacity integer NOT NULL,
    CONSTRAINT warehouse_bin_pkey PRIMARY KEY (warehouse_code, aisle, bin_no)
);
CREATE TABLE stock_item (
    item_id integer PRIMARY KEY,
    sku text NOT NULL,
    bin_no integer NOT NULL,
    warehouse_code text NOT NULL,
    aisle integer NOT NULL,
    quantity integer NOT NULL,
    CONSTRAINT stock_item_bin_fkey FOREIGN KEY (warehouse_code, aisle, bin_no)
        REFERENCES warehouse_bin (warehouse_code, aisle, bin_no) MATCH FULL ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO warehouse_bin VALUES ('W1', 1, 1, 100), ('W1', 1, 2, 50), ('W2', 3, 7, 10);
INSERT INTO stock_item VALUES (1, 'A-1', 1, 'W1', 1, 5), (2, 'A-2', 2, 'W1', 1, 7), (3, 'B-9', 7, 'W2', 3, 1);
