import re

# Extract information from a log excerpt
log = """2024-03-01 10:02:11 ERROR disk full on /dev/sda1
2024-03-01 10:05:42 INFO backup started
2024-03-01 10:09:03 WARNING high memory usage 91%
2024-03-01 10:12:55 ERROR connection refused from 10.0.0.7
"""

levels = re.findall(r"\d{2}:\d{2}:\d{2} (\w+)", log)
errors = [line for line in log.splitlines() if " ERROR " in line]
ips = re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", log)

print("Entries:", len(levels))
print("Errors:", len(errors))
print("IP addresses:", ips)
print("Levels seen:", sorted(set(levels)))
