# Count email domains in a mailing list
emails = [
    "ann@example.com",
    "bo@mail.org",
    "cy@example.com",
    "di@school.edu",
    "ed@mail.org",
    "fay@example.com",
]

domains = {}
for address in emails:
    domain = address.split("@")[1]
    domains[domain] = domains.get(domain, 0) + 1

for domain, n in sorted(domains.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"{domain}: {n}")
