from wrong_38 import describe, median

assert median([7, 1, 3]) == 3
assert median([7, 1, 3, 9]) == 5.0
assert median([5]) == 5
assert median([10, 2, 8, 4, 6]) == 6
assert describe([3, 1, 2])["median"] == 2
