from wrong_04 import grade_report, letter_grade

assert letter_grade(90) == "A"
assert letter_grade(80) == "B"
assert letter_grade(60) == "D"
assert letter_grade(89.5) == "B"
assert letter_grade(59) == "F"
assert letter_grade(100) == "A"
assert grade_report({"x": 70}) == {"x": "C"}
