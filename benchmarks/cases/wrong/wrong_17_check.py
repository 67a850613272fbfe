from wrong_17 import cart_total, sale_price

assert sale_price(50, 20) == 40.0
assert sale_price(19.99, 0) == 19.99
assert sale_price(80, 25) == 60.0
assert cart_total([("r", "toys", 40.0), ("b", "books", 18.0)]) == 46.2
