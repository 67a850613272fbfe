# Distribution of word lengths in a paragraph
text = "a journey of a thousand miles begins with a single step forward"

length_counts = {}
for word in text.split():
    n = len(word)
    length_counts[n] += 1

for n in sorted(length_counts):
    print(f"{n:>2} letters: {'#' * length_counts[n]}")
