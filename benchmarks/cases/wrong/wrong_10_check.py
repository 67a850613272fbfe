from wrong_10 import PRODUCTS, most_expensive, parse_products

assert most_expensive(parse_products(PRODUCTS)) == "laptop"
assert most_expensive(parse_products("name,price\na,9.99\nb,10.00\n")) == "b"
assert most_expensive([{"name": "x", "price": "100"}, {"name": "y", "price": "99.5"}]) == "x"
