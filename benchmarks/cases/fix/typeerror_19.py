# Fitness tracker: steps per day
steps = {"Mon": 8200, "Tue": 10450, "Wed": 6400, "Thu": 12000, "Fri": 9100}
GOAL = 10000

days_met = [day for day, n in steps.items() if n >= GOAL]
total_steps = sum(steps.values())

print("Total steps: " + str(total_steps))
print("Goal met on: " + ", ".join(days_met))
shortfall = GOAL * len(steps) - total_steps
print(shortfall + " steps short of the weekly goal")
