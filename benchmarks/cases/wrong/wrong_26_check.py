from wrong_26 import WEATHER, average_temperature

assert average_temperature(WEATHER, "Oslo") == 4.0
assert average_temperature(WEATHER, "Rome") == 13.0
assert average_temperature("date,city,temp_c,humidity\nd,X,-2.5,90\n", "X") == -2.5
assert average_temperature(WEATHER, "Lima") is None
