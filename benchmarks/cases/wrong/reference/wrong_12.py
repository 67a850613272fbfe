PUNCTUATION = ".,;:!?\"'()"


def word_counts(text):
    counts = {}
    for raw in text.split():
        word = raw.strip(PUNCTUATION).lower()
        if word:
            counts[word] = counts.get(word, 0) + 1
    return counts


def top_words(text, n=3):
    counts = word_counts(text)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:n]


if __name__ == "__main__":
    text = "The cat sat on the mat. The mat was flat, and the cat was happy!"
    for word, count in top_words(text):
        print(f"{word:<6} {count}")
