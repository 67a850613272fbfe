from wrong_13 import warmest, weekly_summary

assert warmest([-5, -2, -9]) == -2
assert warmest([3, 7, 1]) == 7
assert warmest([-1]) == -1
assert weekly_summary([-5, -2, -9])["range"] == 7
