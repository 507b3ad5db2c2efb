CREATE TABLE warehouse_bin (
    warehouse_code VARCHAR(10) NOT NULL,
    aisle INTEGER NOT NULL,
    bin_no INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    PRIMARY KEY (warehouse_code, aisle, bin_no)
);
CREATE TABLE stock_item (
    item_id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,
    sku VARCHAR(20) NOT NULL,
    bin_no INTEGER NOT NULL,
    warehouse_code VARCHAR(10) NOT NULL,
    aisle INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    CONSTRAINT stock_item_bin_fkey FOREIGN KEY (warehouse_code, aisle, bin_no)
        REFERENCES warehouse_bin (warehouse_code, aisle, bin_no) ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO warehouse_bin VALUES ('W1', 1, 1, 100), ('W1', 1, 2, 50), ('W2', 3, 7, 10);
INSERT INTO stock_item VALUES (1, 'A-1', 1, 'W1', 1, 5), (2, 'A-2', 2, 'W1', 1, 7), (3, 'B-9', 7, 'W2', 3, 1);
