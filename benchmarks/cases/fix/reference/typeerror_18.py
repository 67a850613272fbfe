# Build a URL with query parameters
base = "https://example.com/search"
params = {"q": "python", "page": 3, "per_page": 20}

query_parts = []
for key in sorted(params):
    query_parts.append(key + "=" + str(params[key]))

url = base + "?" + "&".join(query_parts)
print(url)
print("Parameter count: " + str(len(params)))
