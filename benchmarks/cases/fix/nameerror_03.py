# Word statistics for a short paragraph
text = """the sun rose over the quiet hills
and the river carried the light
toward the sleeping town"""

lines = text.splitlines()
words = text.split()
longest = max(words, key=len)
unique_words = set(words)

print("Lines:", len(lines))
print("Words:", len(words))
print("Unique words:", len(unique_word))
print("Longest word:", longest)
