# Simple progress bar for a file copy
def progress_bar(done, total, width=20):
    filled = done * width // total
    percent = done * 100 // total
    return "[" + "#" * filled + "." * (width - filled) + "] " + str(percent) + "%"

total_bytes = 4096
for copied in (0, 1024, 2048, 4096):
    print(progress_bar(copied, total_bytes))
print("Copied " + str(total_bytes) + " bytes")
