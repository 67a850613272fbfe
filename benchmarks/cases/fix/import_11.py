# Combine discount rules and compute a final price
rules = [
    lambda p: p - 500 if p > 5000 else p,
    lambda p: p * 90 // 100,
    lambda p: max(p, 1000),
]

def apply_all(price):
    return functools.reduce(lambda acc, rule: rule(acc), rules, price)

for price in [800, 4000, 12000]:
    print(f"{price} -> {apply_all(price)}")
