# Inventory movements: net change per item
movements = [
    ("bolts", +100),
    ("nuts", +80),
    ("bolts", -35),
    ("washers", +50),
    ("nuts", -80),
    ("bolts", -20),
]

net = {}
for item, change in movements:
    net[item] = net.get(item, 0) + change

for item in sorted(net):
    status = "empty" if net[item] == 0 else "in stock"
    print(f"{item}: {net[item]} ({status})")
