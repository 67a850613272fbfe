def average(scores):
    if not scores:
        return 0.0
    return sum(scores) / len(scores)


def class_report(students):
    report = {}
    for name, scores in students.items():
        report[name] = round(average(scores), 2)
    return report


if __name__ == "__main__":
    students = {
        "Noor": [90, 85],
        "Liam": [72, 68, 81],
        "Zoe": [100, 95, 98, 99],
    }
    for name, avg in class_report(students).items():
        print(f"{name:<5} {avg:6.2f}")
