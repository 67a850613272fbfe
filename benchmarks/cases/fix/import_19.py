# Build a schedule of weekly meetings
start = date(2024, 1, 3)
meetings = [start + timedelta(weeks=i) for i in range(6)]
holidays = {date(2024, 1, 17), date(2024, 1, 31)}

scheduled = [d for d in meetings if d not in holidays]
print("Meetings planned:", len(scheduled))
for d in scheduled:
    print(d.isoformat(), d.strftime("%a"))
last = scheduled[-1]
print("Series ends:", last.strftime("%d %B %Y"))
