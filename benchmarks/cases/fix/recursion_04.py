# Stack of cans in a pyramid display: row n holds n cans
def cans_needed(rows):
    return rows + cans_needed(rows - 1)

available = 100
for rows in (3, 5, 10, 13):
    needed = cans_needed(rows)
    fits = "yes" if needed <= available else "no"
    print(f"{rows} rows need {needed} cans (fits: {fits})")

tallest = max(r for r in range(1, 50) if cans_needed(r) <= available)
print("Tallest pyramid with 100 cans:", tallest, "rows")
