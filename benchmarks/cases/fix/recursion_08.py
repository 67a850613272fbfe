# Reverse product codes to build lookup keys
def reverse(text):
    return reverse(text[1:]) + text[0]

codes = ["AB-123", "XY-900", "racecar"]
for code in codes:
    backwards = reverse(code)
    print(f"{code} -> {backwards}")

palindromes = [c for c in codes if reverse(c) == c]
print("Palindromic codes:", palindromes)
