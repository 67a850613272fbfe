def celsius_to_fahrenheit(celsius):
    return celsius * 9 / 5 + 32


def conversion_table(start, stop, step):
    rows = []
    for celsius in range(start, stop + 1, step):
        rows.append((celsius, round(celsius_to_fahrenheit(celsius), 1)))
    return rows


if __name__ == "__main__":
    print("   C |      F")
    for c, f in conversion_table(-10, 40, 10):
        print(f"{c:>4} | {f:>6.1f}")
