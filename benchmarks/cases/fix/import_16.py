# Count working days in the first quarter of 2024
year = 2024
working_days = {}
for month in range(1, 4):
    _, days_in_month = calendar.monthrange(year, month)
    count = 0
    for day in range(1, days_in_month + 1):
        if calendar.weekday(year, month, day) < 5:
            count += 1
    working_days[calendar.month_name[month]] = count

for month_name, count in working_days.items():
    print(f"{month_name}: {count} working days")
print("Leap year:", calendar.isleap(year))
