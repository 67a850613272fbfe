from wrong_20 import payroll, weekly_pay

assert weekly_pay(45, 20) == 950.0
assert weekly_pay(40, 20) == 800.0
assert weekly_pay(50, 10) == 550.0
assert weekly_pay(30, 12.5) == 375.0
assert payroll({"a": 42}, {"a": 10.0}) == {"a": 430.0}
