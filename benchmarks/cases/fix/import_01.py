# Geometry helpers for a garden plan
beds = [("round", 1.5), ("square", 2.0), ("round", 0.75)]

def area(shape, size):
    if shape == "round":
        return math.pi * size ** 2
    return size ** 2

total = 0.0
for shape, size in beds:
    a = area(shape, size)
    total += a
    print(f"{shape} bed of size {size}: {a:.2f} m2")

print(f"Total area: {total:.2f} m2")
print("Bags of soil needed:", math.ceil(total / 2))
