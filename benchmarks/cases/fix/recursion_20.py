# Count a character in DNA sequences recursively
def count_char(text, ch):
    first = 1 if text.startswith(ch) else 0
    return first + count_char(text[1:], ch)

sequences = {"seq1": "GATTACA", "seq2": "CCGGTTAA", "seq3": "AAAAGC"}
for name in sorted(sequences):
    dna = sequences[name]
    gc = count_char(dna, "G") + count_char(dna, "C")
    print(f"{name}: A={count_char(dna, 'A')} GC={gc} of {len(dna)}")
