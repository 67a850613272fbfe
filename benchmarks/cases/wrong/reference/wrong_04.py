GRADE_BOUNDS = [(90, "A"), (80, "B"), (70, "C"), (60, "D")]


def letter_grade(score):
    for bound, letter in GRADE_BOUNDS:
        if score >= bound:
            return letter
    return "F"


def grade_report(scores):
    return {name: letter_grade(score) for name, score in scores.items()}


if __name__ == "__main__":
    scores = {"Ava": 93, "Ben": 90, "Cara": 79.5, "Dan": 60, "Eve": 42}
    for name, grade in grade_report(scores).items():
        print(f"{name}: {scores[name]} -> {grade}")
