# Inventory report for a small shop
inventory = {
    "apples": 40,
    "bananas": 12,
    "cherries": 0,
    "dates": 7,
}

def low_stock(items, threshold):
    return sorted(name for name, qty in items.items() if qty < threshold)

total_units = sum(inventory.values())
print("Total units:", total_units)
print("Low stock:", ", ".join(low_stock(inventory, 10)))
out_of_stock = [name for name, qty in inventory.items() if qty == 0]
print("Out of stock:", out_of_stock)
