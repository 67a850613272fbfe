# Report how many tasks are left on a to-do list
todo = [
    {"task": "buy milk", "done": True},
    {"task": "call mum", "done": False},
    {"task": "file taxes", "done": False},
    {"task": "water plants", "done": True},
    {"task": "book dentist", "done": False},
]

remaining = [t["task"] for t in todo if not t["done"]]
finished = len(todo) - len(remaining)

print("Finished: " + str(finished) + " of " + str(len(todo)))
print("Remaining tasks: " + len(remaining))
for task in remaining:
    print("- " + task)
