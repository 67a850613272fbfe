# Count letters in a name list, ignoring case
names = ["Anna", "Bob", "Cecilia", "Dan"]

letter_counts = {}
for name in names:
    for letter in name.lower():
        letter_counts[letter] = letter_counts.get(letter, 0) + 1

top = sorted(letter_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
for letter, n in top:
    print(f"{letter}: {n}")
print("Distinct letters:", len(letter_counts))
