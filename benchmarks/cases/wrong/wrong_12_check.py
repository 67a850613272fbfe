from wrong_12 import top_words, word_counts

assert word_counts("The cat and the hat")["the"] == 2
assert word_counts("Dog dog DOG.") == {"dog": 3}
assert top_words("The cat sat on the mat. The mat was flat, and the cat was happy!", 1) == [("the", 4)]
