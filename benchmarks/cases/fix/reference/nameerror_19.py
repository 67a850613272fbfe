# Parking garage occupancy by hour
entries = [8, 8, 9, 9, 9, 10, 12, 13, 13, 17]
exits = [9, 12, 12, 13, 17, 17, 18]

occupancy = 0
peak = 0
peak_hour = None
for hour in range(8, 19):
    occupancy += entries.count(hour)
    occupancy -= exits.count(hour)
    if occupancy > peak:
        peak = occupancy
        peak_hour = hour

print("Peak occupancy:", peak)
print("Peak hour:", f"{peak_hour}:00")
print("Cars left at close:", occupancy)
