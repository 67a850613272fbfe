# Temperature conversion table
def celsius_to_fahrenheit(c):
    return c * 9 / 5 + 32

readings_c = [-10, 0, 15, 22, 37]
converted = []
for c in readings_c:
    f = celsius_to_farenheit(c)
    converted.append(round(f, 1))

for c, f in zip(readings_c, converted):
    print(f"{c:>4} C = {f:>6} F")

print("Warmest:", max(converted), "F")
