from wrong_27 import parse_offset, to_utc

assert to_utc("14:00", "+05:30") == "08:30"
assert to_utc("23:30", "-02:00") == "01:30"
assert to_utc("00:15", "+01:00") == "23:15"
assert to_utc("12:00", "+00:00") == "12:00"
assert parse_offset("-03:30") == -210
