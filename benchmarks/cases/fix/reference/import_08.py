import collections

# Most frequent words in a short review
review = """great phone great battery good screen
battery lasts all day and the screen is great"""

words = review.lower().split()
freq = collections.Counter(words)

top_word, top_count = freq.most_common(1)[0]
print("Total words:", len(words))
print("Distinct words:", len(freq))
print(f"Most common: {top_word} ({top_count})")
print("Mentions of battery:", freq["battery"])
