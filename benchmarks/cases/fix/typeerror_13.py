# Multiplication table rows as strings
def table_row(n, upto=5):
    cells = []
    for i in range(1, upto + 1):
        cells.append(str(n * i).rjust(3))
    return n + " |" + "".join(cells)

print("  |" + "".join(str(i).rjust(3) for i in range(1, 6)))
for n in range(1, 4):
    print(table_row(n))
