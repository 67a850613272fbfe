from wrong_40 import sort_by_surname, surname

assert surname("Mary Ann Smith") == "Smith"
assert surname("John Adams") == "Adams"
assert surname("Cher") == "Cher"
assert sort_by_surname(["Mary Ann Smith", "Bo Zed Adams"]) == ["Bo Zed Adams", "Mary Ann Smith"]
