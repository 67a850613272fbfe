from wrong_18 import order_total, shipping_cost

assert shipping_cost(50.0) == 0.0
assert shipping_cost(49.99) == 4.99
assert shipping_cost(120) == 0.0
assert order_total([20.0, 30.0]) == 50.0
assert order_total([10.0]) == 14.99
