# Group exam scores into grade bands and count them
scores = [93, 67, 88, 72, 55, 81, 99, 74, 60, 85]

def band(score):
    if score >= 90:
        return "A"
    if score >= 80:
        return "B"
    if score >= 70:
        return "C"
    if score >= 60:
        return "D"
    return "F"

band_counts = {}
for s in scores:
    b = band(s)
    band_counts[b] = band_counts.get(b, 0) + 1

for b in "ABCDF":
    print(b, band_counts.get(b, 0))
