from wrong_31 import billable_amount, minutes_to_hours

assert billable_amount([("a", 90)], 50) == 75.0
assert minutes_to_hours(90) == 1.5
assert billable_amount([("a", 45), ("b", 15)], 20) == 20.0
assert minutes_to_hours(0) == 0
