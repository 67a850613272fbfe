# Rabbit population following the Fibonacci rule
def fibonacci(n):
    # fibonacci(0) = 0, fibonacci(1) = 1
    return fibonacci(n - 1) + fibonacci(n - 2)

months = [1, 2, 6, 12, 18]
for month in months:
    print(f"Month {month}: {fibonacci(month)} pairs")

first_over_1000 = next(m for m in range(30) if fibonacci(m) > 1000)
print("First month above 1000 pairs:", first_over_1000)
