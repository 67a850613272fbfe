from wrong_08 import format_price, price_list

assert format_price(3.5) == "USD 3.50"
assert format_price(1249.99) == "USD 1,249.99"
assert format_price(2.8, "EUR") == "EUR 2.80"
assert format_price(3.14159, decimals=3) == "USD 3.142"
assert price_list({"tea": 2.8}) == "tea  USD 2.80"
