from collections import defaultdict

# Group students by the first letter of their name
students = ["amira", "bruno", "alex", "carmen", "bea", "chris", "ana"]

groups = defaultdict(list)
for name in students:
    groups[name[0].upper()].append(name)

for letter in sorted(groups):
    members = sorted(groups[letter])
    print(f"{letter}: {', '.join(members)} ({len(members)})")
largest = max(sorted(groups), key=lambda k: len(groups[k]))
print("Largest group:", largest)
