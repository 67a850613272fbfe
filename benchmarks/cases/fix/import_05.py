# Days remaining until project milestones
today = datetime.date(2024, 5, 10)
milestones = {
    "design review": datetime.date(2024, 5, 24),
    "beta release": datetime.date(2024, 7, 1),
    "launch": datetime.date(2024, 9, 15),
}

for name, due in milestones.items():
    remaining = (due - today).days
    print(f"{name}: {remaining} days ({due.strftime('%A')})")

next_name = min(milestones, key=milestones.get)
print("Next milestone:", next_name)
