from wrong_34 import conversion_report, convert_all

assert convert_all([10, 20, 30], 1.1) == [11.0, 22.0, 33.0]
assert convert_all([5, 5], 2) == [10, 10]
assert convert_all([], 3) == []
assert convert_all([1, 2], 0.5) == [0.5, 1.0]
assert len(conversion_report([1, 2], "GBP")) == 2
