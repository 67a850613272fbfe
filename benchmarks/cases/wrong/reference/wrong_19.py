def percent_score(correct, total):
    if total == 0:
        return 0.0
    return round(correct * 100 / total, 2)


def grade_quiz(answers, key):
    correct = sum(1 for given, expected in zip(answers, key) if given == expected)
    return correct, percent_score(correct, len(key))


if __name__ == "__main__":
    key = ["b", "c", "a", "d", "a", "c"]
    sheets = {"Ines": ["b", "c", "a", "d", "b", "c"], "Omar": ["a", "c", "b", "d", "a", "a"]}
    for student, answers in sheets.items():
        correct, pct = grade_quiz(answers, key)
        print(f"{student}: {correct}/{len(key)} = {pct}%")
