# Seating chart for a small theatre
rows = "ABC"
seats_per_row = 4
reserved = {"A2", "B1", "B4", "C3"}

for row in rows:
    line = ""
    for seat in range(1, seats_per_row + 1):
        code = row + seat
        line += "[XX] " if code in reserved else "[" + code + "] "
    print(line.rstrip())

free = len(rows) * seats_per_row - len(reserved)
print("Free seats: " + str(free))
