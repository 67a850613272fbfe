from wrong_09 import add_item, cart_count

assert add_item("x", 1) == [("x", 1)]
assert add_item("y", 2) == [("y", 2)]
cart = [("a", 1)]
assert add_item("b", 2, cart) == [("a", 1), ("b", 2)]
assert cart_count(add_item("z", 4)) == 4
