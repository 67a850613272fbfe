from wrong_07 import leaderboard, top_players

scores = {"mira": 120, "otto": 300, "kai": 75, "lena": 300, "ravi": 210}
assert top_players(scores) == ["lena", "otto", "ravi"]
assert leaderboard({"a": 1, "b": 2}) == [(1, "b", 2), (2, "a", 1)]
assert top_players({"x": 5, "y": 5, "z": 9}, 2) == ["z", "x"]
