# Count weekdays on which incidents were reported
incidents = [
    ("2024-02-05", "Mon"),
    ("2024-02-06", "Tue"),
    ("2024-02-08", "Thu"),
    ("2024-02-12", "Mon"),
    ("2024-02-13", "Tue"),
    ("2024-02-19", "Mon"),
]

per_day = {}
for date_text, weekday in incidents:
    per_day[weekday] = per_day.get(weekday, 0) + 1

week_order = ["Mon", "Tue", "Wed", "Thu", "Fri"]
for day in week_order:
    print(day, per_day.get(day, 0))
