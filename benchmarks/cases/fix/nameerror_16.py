# Run-length encoding of a string
def run_length_encode(text):
    if not text:
        return ""
    pieces = []
    current = text[0]
    count = 1
    for ch in text[1:]:
        if ch == current:
            count += 1
        else:
            pieces.append(f"{count}{current}")
            current = ch
            count = 1
    pieces.append(f"{count}{current}")
    return "".join(pieces)

for sample in ["aaabccdddd", "abc", "zzzzzz"]:
    print(sample, "->", run_lenght_encode(sample))
