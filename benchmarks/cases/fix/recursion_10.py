# Multiply crate counts by repeated addition (for a tiny CPU)
def multiply(a, b):
    # b is a non-negative whole number
    return a + multiply(a, b - 1)

crates = {"apples": (12, 8), "pears": (9, 5), "plums": (30, 0)}
total = 0
for fruit in sorted(crates):
    per_crate, n_crates = crates[fruit]
    amount = multiply(per_crate, n_crates)
    total += amount
    print(f"{fruit}: {amount}")
print("Total pieces of fruit:", total)
