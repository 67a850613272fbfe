from wrong_41 import count_answers, is_yes

assert count_answers(["yes", "Yes", "no"]) == {"yes": 2, "no": 1}
assert is_yes(" Y ") is True
assert is_yes("NO") is False
assert count_answers(["YES", "y"]) == {"yes": 2, "no": 0}
