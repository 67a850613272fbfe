# Convert between units of length
FACTORS_TO_METRES = {"mm": 0.001, "cm": 0.01, "m": 1, "km": 1000}

def convert(value, from_unit, to_unit):
    metres = value * FACTORS_TO_METRES[from_unit]
    return metres / FACTORS_TO_METRES[to_unit]

conversions = [
    (1500, "mm", "m"),
    (3.2, "km", "m"),
    (250, "cm", "km"),
]
for value, src, dst in conversions:
    result = convert(value, src, dst)
    print(f"{value} {src} = {round(result, 4)} {dst}")
