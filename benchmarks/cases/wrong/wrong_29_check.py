from wrong_29 import tally, winner

assert tally(["A", "B", "A"], ["A", "B", "C"]) == {"A": 2, "B": 1, "C": 0}
assert tally([], ["X"]) == {"X": 0}
assert tally(["Ada", "Chen", "Ada", "Bram", "Ada", "Chen", "Zed"], ["Ada", "Bram", "Chen"])["Ada"] == 3
assert winner(["B"], ["A", "B"]) == "B"
