# Hours logged per project from a timesheet
timesheet = """alpha 3
beta 2
alpha 4
gamma 1
beta 5
alpha 2"""

hours = {}
for line in timesheet.splitlines():
    project, spent = line.split()
    hours[project] = hours.get(project, 0) + int(spent)

for project in sorted(hours):
    print(f"{project}: {hours[project]}h")
print("Total:", sum(hours.values()), "h")
