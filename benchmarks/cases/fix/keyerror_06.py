# Expenses per category for a month
expenses = [
    ("rent", 950),
    ("food", 64),
    ("transport", 30),
    ("food", 48),
    ("fun", 25),
    ("food", 71),
    ("transport", 30),
]

per_category = {}
for category, amount in expenses:
    per_category[category] += amount

total = sum(per_category.values())
for category in sorted(per_category, key=per_category.get, reverse=True):
    share = per_category[category] * 100 // total
    print(f"{category}: {per_category[category]} ({share}%)")
