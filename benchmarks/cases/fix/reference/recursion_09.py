# Countdown announcements for a race start
def countdown(n, announcements):
    if n == 0:
        announcements.append("Go!")
        return announcements
    announcements.append(f"{n}...")
    return countdown(n - 1, announcements)

calls = countdown(5, [])
print(" ".join(calls))
print("Number of announcements:", len(calls))
short = countdown(2, [])
print(" ".join(short))
