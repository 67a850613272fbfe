# Rainfall totals per month from daily records
records = [
    ("2024-01-03", 12),
    ("2024-01-17", 8),
    ("2024-02-02", 20),
    ("2024-02-20", 4),
    ("2024-03-09", 15),
    ("2024-01-29", 6),
]

monthly = {}
for day, mm in records:
    month = day[:7]
    monthly[month] = monthly.get(month, 0) + mm

for month in sorted(monthly):
    print(f"{month}: {monthly[month]} mm")
wettest = max(monthly, key=monthly.get)
print("Wettest month:", wettest)
