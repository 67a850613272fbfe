# Password strength checker
passwords = ["hunter2", "CorrectHorse9!", "abcdefgh", "Pa55word"]

def strength(pw):
    score = 0
    if len(pw) >= 8:
        score += 1
    if any(c in string.ascii_uppercase for c in pw):
        score += 1
    if any(c in string.digits for c in pw):
        score += 1
    if any(c in string.punctuation for c in pw):
        score += 1
    return score

for pw in passwords:
    print(f"{pw}: {strength(pw)}/4")
