import os

# Group file names by extension (no disk access needed)
files = [
    "report.pdf",
    "photo.JPG",
    "notes.txt",
    "archive.tar.gz",
    "script.py",
    "summary.txt",
]

by_ext = {}
for name in files:
    stem, ext = os.path.splitext(name)
    ext = ext.lower() or "(none)"
    by_ext.setdefault(ext, []).append(stem)

for ext in sorted(by_ext):
    print(ext, "->", ", ".join(sorted(by_ext[ext])))
print("Output path:", os.path.join("out", "summary", "index.txt"))
