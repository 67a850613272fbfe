# Describe a playlist
playlist = [
    ("Intro", 95),
    ("Night Drive", 241),
    ("Static", 188),
    ("Outro", 130),
]

total_seconds = sum(length for _, length in playlist)
minutes, seconds = divmod(total_seconds, 60)

print("Tracks: " + str(len(playlist)))
print("Length: " + str(minutes) + ":" + str(seconds).zfill(2))
longest = max(playlist, key=lambda t: t[1])
print("Longest track: " + longest[0])
