CREATE TABLE `group` (
    `id` INTEGER NOT NULL PRIMARY KEY,
    `Mixed Case` VARCHAR(20) NOT NULL,
    `with space` VARCHAR(20),
    `it's` VARCHAR(20),
    `größe` INTEGER
);
CREATE TABLE `order` (
    `order` INTEGER NOT NULL PRIMARY KEY,
    `group` INTEGER NOT NULL,
    `select` VARCHAR(20),
    CONSTRAINT `order_group_fkey` FOREIGN KEY (`group`) REFERENCES `group` (`id`)
);
INSERT INTO `group` VALUES (1, 'A', 'a b', 'it''s', 3), (2, 'B', NULL, NULL, NULL);
INSERT INTO `order` VALUES (1, 1, 'x'), (2, 2, NULL);
