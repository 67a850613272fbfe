# Compute letter grades for a class
scores = {"ana": 91, "ben": 78, "carla": 85, "dev": 62, "eli": 70}

def letter_grade(score):
    if score >= 90:
        return "A"
    if score >= 80:
        return "B"
    if score >= 70:
        return "C"
    return "F"

for student in sorted(scores):
    grade = leter_grade(scores[student])
    print(f"{student}: {scores[student]} -> {grade}")

class_average = sum(scores.values()) / len(scores)
print("Class average:", round(class_average, 1))
