# HTTP status code summary from access log lines
log_lines = [
    "GET /index.html 200",
    "GET /about.html 200",
    "POST /login 302",
    "GET /missing 404",
    "GET /index.html 200",
    "GET /admin 403",
    "GET /old-page 404",
]

status_counts = {}
for line in log_lines:
    status = line.split()[-1]
    status_counts[status] += 1

for status in sorted(status_counts):
    print(status, status_counts[status])
errors = sum(n for s, n in status_counts.items() if s.startswith("4"))
print("Client errors:", errors)
