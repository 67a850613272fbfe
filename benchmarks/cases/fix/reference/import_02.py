import json

# Load settings from a JSON document and report on them
raw = '{"name": "backup-job", "retries": 3, "targets": ["db", "files", "logs"], "enabled": true}'

settings = json.loads(raw)
print("Job:", settings["name"])
print("Targets:", len(settings["targets"]))
print("Enabled:", settings["enabled"])

settings["retries"] += 2
settings["targets"].sort()
print("Updated:", json.dumps(settings, sort_keys=True))
