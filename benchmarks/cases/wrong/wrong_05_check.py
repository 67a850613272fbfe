from wrong_05 import average, class_report

assert average([90, 85]) == 87.5
assert average([1, 2]) == 1.5
assert average([]) == 0.0
assert class_report({"a": [72, 68, 81]}) == {"a": 73.67}
