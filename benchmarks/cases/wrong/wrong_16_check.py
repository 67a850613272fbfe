from wrong_16 import moving_average, trend

assert moving_average([1, 2, 3, 4, 5], 3) == [2.0, 3.0, 4.0]
assert moving_average([2, 4], 2) == [3.0]
assert moving_average([1, 2, 3], 1) == [1.0, 2.0, 3.0]
assert trend([1, 2, 3, 4], 3) == "up"
