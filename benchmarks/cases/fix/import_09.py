# Summary of daily website visits
visits = [120, 135, 98, 150, 160, 142, 101, 99, 175, 130]

print("Days:", len(visits))
print("Mean:", statistics.mean(visits))
print("Median:", statistics.median(visits))
print("Busiest day:", visits.index(max(visits)) + 1)
above = [v for v in visits if v > statistics.mean(visits)]
print("Days above mean:", len(above))
print("Quietest day:", visits.index(min(visits)) + 1)
