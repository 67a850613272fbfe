# Number of ways to arrange books on a shelf
def factorial(n):
    return n * factorial(n - 1)

shelves = {"poetry": 3, "history": 5, "science": 7}
for topic in sorted(shelves):
    count = shelves[topic]
    print(f"{topic}: {count} books, {factorial(count)} orderings")

total_books = sum(shelves.values())
print("All books on one shelf:", factorial(total_books))
