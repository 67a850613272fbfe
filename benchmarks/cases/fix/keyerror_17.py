# Count vowels per vowel in a poem line
line = "Shall I compare thee to a summer's day"

vowel_counts = {}
for ch in line.lower():
    if ch in "aeiou":
        vowel_counts[ch] += 1

for vowel in "aeiou":
    print(vowel, vowel_counts.get(vowel, 0))
print("Total vowels:", sum(vowel_counts.values()))
