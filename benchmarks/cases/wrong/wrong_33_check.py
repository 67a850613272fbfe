from wrong_33 import count_leap_years, leap_years

assert count_leap_years(2000, 2024) == 7
assert count_leap_years(2024, 2024) == 1
assert count_leap_years(2001, 2003) == 0
assert leap_years(1896, 1904) == [1896, 1904]
