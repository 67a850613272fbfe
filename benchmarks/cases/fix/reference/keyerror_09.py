# Count how many books each author has in a catalogue
catalogue = [
    ("Austen", "Emma"),
    ("Tolkien", "The Hobbit"),
    ("Austen", "Persuasion"),
    ("Orwell", "1984"),
    ("Tolkien", "The Silmarillion"),
    ("Austen", "Sense and Sensibility"),
]

books_per_author = {}
for author, title in catalogue:
    if author not in books_per_author:
        books_per_author[author] = 0
    books_per_author[author] += 1

for author in sorted(books_per_author):
    n = books_per_author[author]
    print(f"{author}: {n} book{'s' if n != 1 else ''}")
