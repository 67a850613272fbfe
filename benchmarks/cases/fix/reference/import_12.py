import heapq

# Pick the tasks with the highest priority
tasks = [
    ("write report", 3),
    ("fix login bug", 9),
    ("update docs", 2),
    ("review PR", 7),
    ("plan sprint", 5),
]

top = heapq.nlargest(3, tasks, key=lambda t: t[1])
print("Top tasks:")
for name, priority in top:
    print(f"  {priority} {name}")
cheapest = heapq.nsmallest(1, tasks, key=lambda t: t[1])[0]
print("Lowest priority:", cheapest[0])
