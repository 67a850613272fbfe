from wrong_37 import vote_shares

assert vote_shares({"yes": 1, "no": 2}) == {"yes": 33.3, "no": 66.7}
assert vote_shares({"a": 1, "b": 7}) == {"a": 12.5, "b": 87.5}
assert vote_shares({"x": 5}) == {"x": 100.0}
assert vote_shares({"a": 0}) == {"a": 0.0}
