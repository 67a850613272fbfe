import hashlib

# Detect duplicate documents by content hash
documents = {
    "a.txt": "quarterly numbers look fine",
    "b.txt": "meeting moved to thursday",
    "c.txt": "quarterly numbers look fine",
    "d.txt": "MEETING moved to thursday",
}

seen = {}
duplicates = []
for name in sorted(documents):
    digest = hashlib.sha256(documents[name].encode()).hexdigest()
    if digest in seen:
        duplicates.append((name, seen[digest]))
    else:
        seen[digest] = name

print("Unique documents:", len(seen))
for dup, original in duplicates:
    print(f"{dup} duplicates {original}")
