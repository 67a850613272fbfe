# Build labels for parcels in a warehouse
parcels = [("Berlin", 3), ("Lisbon", 12), ("Oslo", 7)]

def make_label(city, shelf):
    return city.upper() + "-SHELF-" + shelf

labels = [make_label(city, shelf) for city, shelf in parcels]
for label in labels:
    print(label)
print("Labels printed: " + str(len(labels)))
