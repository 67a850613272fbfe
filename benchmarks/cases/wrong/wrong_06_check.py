from wrong_06 import split_bill, tip_amount

assert tip_amount(10.99, 15) == 1.65
assert tip_amount(33.33, 18) == 6.0
assert tip_amount(20, 20) == 4.0
assert split_bill(10.99, 15, 1) == (1.65, 12.64, 12.64)
