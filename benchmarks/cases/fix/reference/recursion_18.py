# Savings account growth with yearly compound interest
def balance_after(amount, rate, years):
    if years == 0:
        return amount
    return balance_after(amount * (1 + rate), rate, years - 1)

deposit = 1000
for years in (1, 5, 10):
    value = balance_after(deposit, 0.05, years)
    print(f"After {years} years: {value:.2f}")

doubling = next(y for y in range(1, 100) if balance_after(deposit, 0.05, y) >= 2 * deposit)
print("Years to double:", doubling)
