from wrong_19 import grade_quiz, percent_score

assert percent_score(2, 3) == 66.67
assert percent_score(1, 8) == 12.5
assert percent_score(5, 5) == 100
assert percent_score(0, 0) == 0.0
assert grade_quiz(["a", "b", "c"], ["a", "x", "c"]) == (2, 66.67)
