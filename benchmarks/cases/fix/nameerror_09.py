# Parse simple key=value configuration text
config_text = """
host = localhost
port = 8080
debug = true
workers = 4
"""

def parse_config(text):
    settings = {}
    for raw_line in text.strip().splitlines():
        key, value = rawline.split("=", 1)
        settings[key.strip()] = value.strip()
    return settings

settings = parse_config(config_text)
port = int(settings["port"])
workers = int(settings["workers"])
print("Host:", settings["host"])
print("Port:", port)
print("Debug enabled:", settings["debug"] == "true")
print("Max connections:", port // 100 * workers)
