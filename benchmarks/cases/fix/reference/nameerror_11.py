# Validate a list of usernames
usernames = ["alice_01", "Bob", "x", "charlie.brown", "dana99", "eve_"]

def is_valid(name):
    if not 3 <= len(name) <= 12:
        return False
    allowed = "abcdefghijklmnopqrstuvwxyz0123456789_"
    return all(ch in allowed for ch in name)

valid = []
invalid = []
for name in usernames:
    if is_valid(name):
        valid.append(name)
    else:
        invalid.append(name)

print("Valid:", valid)
print("Invalid:", invalid)
