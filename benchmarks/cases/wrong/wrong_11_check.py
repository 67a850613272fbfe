from wrong_11 import day_of_year, days_left_in_year

assert day_of_year("2023-03-15") == 74
assert day_of_year("2024-03-01") == 61
assert day_of_year("2023-12-31") == 365
assert days_left_in_year("2024-07-04") == 180
