# Character classes in a password list
passwords = ["abc123", "P@ssw0rd", "letmein", "2024!!", "Qwerty"]

def char_class(ch):
    if ch.isdigit():
        return "digit"
    if ch.isalpha():
        return "upper" if ch.isupper() else "lower"
    return "symbol"

class_counts = {}
for pw in passwords:
    for ch in pw:
        kind = char_class(ch)
        class_counts[kind] = class_counts.get(kind, 0) + 1

for kind in ["lower", "upper", "digit", "symbol"]:
    print(f"{kind}: {class_counts[kind]}")
