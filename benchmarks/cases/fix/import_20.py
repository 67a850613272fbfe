import statistics

# Standard deviation of sensor readings, two ways
readings = [12.0, 15.5, 11.25, 14.75, 13.5, 12.5]

mean = sum(readings) / len(readings)
variance = sum((r - mean) ** 2 for r in readings) / (len(readings) - 1)
manual_sd = math.sqrt(variance)
library_sd = statistics.stdev(readings)

print("Mean:", round(mean, 3))
print("Std dev (manual):", round(manual_sd, 3))
print("Std dev (library):", round(library_sd, 3))
print("Agree:", math.isclose(manual_sd, library_sd))
