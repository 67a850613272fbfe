from wrong_30 import height_to_cm, parse_height

assert height_to_cm(6) == 182.88
assert height_to_cm(0, 12) == 30.48
assert height_to_cm(5, 10) == 177.8
assert parse_height("5'10\"") == (5, 10)
