# Checksum of account numbers using a digit sum
def digit_sum(n):
    if n == 0:
        return 0
    return n % 10 + digit_sum(n // 10)

accounts = [4512873, 1000001, 987654321]
for account in accounts:
    total = digit_sum(account)
    valid = total % 3 == 0
    print(f"{account}: digit sum {total}, valid={valid}")

print("Digit sum of 2**50:", digit_sum(2 ** 50))
