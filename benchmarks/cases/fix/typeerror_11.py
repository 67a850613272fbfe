# Elapsed time formatting for a stopwatch
def format_duration(seconds):
    hours = seconds // 3600
    minutes = seconds % 3600 // 60
    secs = seconds % 60
    return hours + "h " + str(minutes).zfill(2) + "m " + str(secs).zfill(2) + "s"

laps = [95, 3725, 59, 7322]
for lap in laps:
    print(format_duration(lap))
print("Total: " + format_duration(sum(laps)))
