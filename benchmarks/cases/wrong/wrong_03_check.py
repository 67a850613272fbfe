from wrong_03 import celsius_to_fahrenheit, conversion_table

assert celsius_to_fahrenheit(100) == 212
assert celsius_to_fahrenheit(0) == 32
assert celsius_to_fahrenheit(-40) == -40
assert conversion_table(0, 20, 10) == [(0, 32.0), (10, 50.0), (20, 68.0)]
