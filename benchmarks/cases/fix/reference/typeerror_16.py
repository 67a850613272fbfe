# Shipping cost calculator
def shipping_cost(weight_kg):
    if weight_kg <= 1:
        return 5
    if weight_kg <= 5:
        return 9
    return 9 + (weight_kg - 5) * 2

packages = {"book": 1, "lamp": 4, "desk": 23}
total = 0
for item, weight in packages.items():
    cost = shipping_cost(weight)
    total += cost
    print(item + " (" + str(weight) + " kg): " + str(cost) + " EUR")
print("Total shipping: " + str(total) + " EUR")
