from wrong_23 import compound, growth_table

assert compound(1000, 0.06, 1) == 1061.68
assert compound(1000, 0.06, 1, 1) == 1060.0
assert compound(500, 0.12, 2) == 634.87
assert compound(1000, 0, 5) == 1000.0
assert growth_table(1000, 0.06, 1) == [(1, 1061.68)]
