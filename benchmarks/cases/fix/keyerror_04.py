# Total quantity sold per product from order lines
orders = [
    ("keyboard", 2),
    ("mouse", 5),
    ("monitor", 1),
    ("mouse", 3),
    ("keyboard", 1),
    ("cable", 10),
]

sold = {}
for product, qty in orders:
    sold[product] += qty

for product in sorted(sold):
    print(f"{product}: {sold[product]}")
print("Bestseller:", max(sold, key=sold.get))
