import io

# Parse CSV sales data held in memory
data = """region,product,units
north,widget,12
south,widget,7
north,gadget,3
east,widget,9
south,gadget,11
"""

totals = {}
reader = csv.DictReader(io.StringIO(data))
for row in reader:
    totals[row["region"]] = totals.get(row["region"], 0) + int(row["units"])

for region in sorted(totals):
    print(f"{region}: {totals[region]}")
print("Best region:", max(totals, key=totals.get))
