# Count animals spotted on a bird-watching trip
sightings = """
robin, sparrow, robin
heron
sparrow, sparrow, kingfisher, robin
"""

species = {}
for line in sightings.strip().splitlines():
    for bird in line.split(","):
        bird = bird.strip()
        species[bird] += 1

print("Species seen:", len(species))
for bird in sorted(species):
    print(f"  {bird}: {species[bird]}")
