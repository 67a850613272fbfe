from wrong_42 import latest, sort_versions

assert latest(["1.9.2", "1.10.0", "1.2.11"]) == "1.10.0"
assert sort_versions(["2.0", "10.0", "1.5"]) == ["1.5", "2.0", "10.0"]
assert latest(["0.9", "0.10"]) == "0.10"
assert sort_versions(["1.2.11", "1.2.9"]) == ["1.2.9", "1.2.11"]
