from wrong_35 import average_speed

assert average_speed(15, 90) == 10.0
assert average_speed(12, 60) == 12.0
assert average_speed(21, 126) == 10.0
assert average_speed(5, 150) == 2.0
