# Summarise employee salaries by department
employees = [
    ("alice", "engineering", 8200),
    ("bob", "sales", 5100),
    ("chen", "engineering", 7600),
    ("dina", "support", 4300),
    ("emil", "sales", 5900),
]

departments = sorted({dept for _, dept, _ in employees})
for department in departments:
    salaries = [pay for _, dept, pay in employees if dept == department]
    average = sum(salaries) // len(salaries)
    print(f"{department}: {len(salaries)} people, average {average}")

highest_paid = max(employees, key=lambda e: e[2])
print("Highest paid:", highest_paid[0])
