# Count file types in a list of paths
paths = [
    "src/main.py",
    "src/utils.py",
    "README.md",
    "docs/guide.md",
    "data/table.csv",
    "setup.py",
]

def extension(path):
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1] if "." in name else ""

counts = {}
for path in paths:
    ext = extention(path)
    counts[ext] = counts.get(ext, 0) + 1

for ext in sorted(counts):
    print(f".{ext}: {counts[ext]}")
