-- Two namespaces with a foreign key across them, and a name that exists in both.
CREATE SCHEMA sales;
CREATE TABLE public.product (
    product_id integer PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE sales.product (
    sales_product_id integer PRIMARY KEY,
    product_id integer NOT NULL REFERENCES public.product (product_id),
    list_price numeric(8, 2) NOT NULL
);
CREATE TABLE sales.order_line (
    line_id integer PRIMARY KEY,
    sales_product_id integer NOT NULL REFERENCES sales.product (sales_product_id),
    product_id integer NOT NULL REFERENCES public.product (product_id)
);
INSERT INTO public.product VALUES (1, 'pen'), (2, 'ink');
INSERT INTO sales.product VALUES (10, 1, 2.50), (20, 2, 9.90);
INSERT INTO sales.order_line VALUES (1, 10, 1), (2, 20, 2);
