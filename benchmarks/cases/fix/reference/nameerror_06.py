# Simple bank account ledger
transactions = [
    ("deposit", 500),
    ("withdraw", 120),
    ("deposit", 75),
    ("withdraw", 300),
    ("deposit", 40),
]

balance = 0
history = []
for kind, amount in transactions:
    if kind == "deposit":
        balance += amount
    else:
        balance -= amount
    history.append(balance)

print("Final balance:", balance)
print("Lowest balance:", min(history))
print("Highest balance:", max(history))
