from wrong_36 import loyalty_summary, points_for

assert points_for(23.70) == 115
assert points_for(0.99) == 0
assert loyalty_summary([150.0, 60.25]) == (1050, "gold")
assert loyalty_summary([10]) == (50, "standard")
