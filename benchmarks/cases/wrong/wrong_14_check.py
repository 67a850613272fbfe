from wrong_14 import to_seconds

assert to_seconds("1h30m") == 5400
assert to_seconds("2h") == 7200
assert to_seconds("10m5s") == 605
assert to_seconds("45s") == 45
