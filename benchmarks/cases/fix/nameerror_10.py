# Track running distances for a week
runs_km = {"mon": 5, "tue": 0, "wed": 8, "thu": 4, "fri": 0, "sat": 12, "sun": 6}

def total_distance(log):
    return sum(log.values())

def rest_days(log):
    return [day for day, km in log.items() if km == 0]

weekly_total = total_distance(runs_km)
longest_day = max(runs_km, key=runs_km.get)
print("Weekly total:", weekly_total, "km")
print("Rest days:", rest_day(runs_km))
print("Longest run on:", longest_day)
print("Goal of 35 km reached:", weekly_total >= 35)
