# File size report (sizes in bytes)
files = {"video.mp4": 734003200, "notes.txt": 2048, "photo.png": 3145728}

def human_size(n):
    for unit in ["B", "KB", "MB", "GB"]:
        if n < 1024:
            return str(n) + " " + unit
        n //= 1024
    return str(n) + " TB"

for name in sorted(files):
    print(name + ": " + human_size(files[name]))
print("Files: " + str(len(files)))
