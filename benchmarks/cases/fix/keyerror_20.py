# Bigram counts for a short text
text = "to be or not to be that is the question to be"

words = text.split()
bigrams = {}
for first, second in zip(words, words[1:]):
    pair = f"{first} {second}"
    bigrams[pair] += 1

repeated = sorted(p for p, n in bigrams.items() if n > 1)
print("Bigrams:", len(words) - 1)
print("Distinct bigrams:", len(bigrams))
print("Repeated:", repeated)
print("Count of 'to be':", bigrams["to be"])
