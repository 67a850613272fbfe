# Order summary for an online store
items = [("t-shirt", 2, 15), ("jeans", 1, 45), ("socks", 3, 4)]

total = 0
for name, qty, price in items:
    line = qty * price
    total += line
    print(name + " x" + str(qty) + " = " + str(line))

print("Total: " + str(total))
