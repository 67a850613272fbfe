# Growth of a bacterial culture that doubles every hour
def power(base, exponent):
    if exponent == 0:
        return 1
    return base * power(base, exponent - 1)

initial_cells = 150
for hours in (0, 1, 5, 10):
    cells = initial_cells * power(2, hours)
    print(f"After {hours} h: {cells} cells")

print("3 to the 7th:", power(3, 7))
