# Largest square tile that fits a room exactly (GCD by subtraction)
def gcd(a, b):
    if a > b:
        return gcd(a - b, b)
    return gcd(a, b - a)

rooms = {"kitchen": (360, 240), "hall": (450, 120), "bath": (210, 150)}
for room in sorted(rooms):
    width, length = rooms[room]
    tile = gcd(width, length)
    count = (width // tile) * (length // tile)
    print(f"{room}: {tile} cm tiles, {count} tiles")
