# Word frequencies in a sentence
sentence = "the cat sat on the mat and the dog sat on the rug"

counts = {}
for word in sentence.split():
    counts[word] += 1

print("Distinct words:", len(counts))
for word in sorted(counts):
    if counts[word] > 1:
        print(f"{word}: {counts[word]}")
most_common = max(sorted(counts), key=lambda w: counts[w])
print("Most common:", most_common)
