from wrong_39 import format_guest_list, invitation

assert format_guest_list(["bob", " alice ", "carol"]) == "Alice, Bob, Carol"
assert format_guest_list(["x"]) == "X"
assert format_guest_list(["a", "b"], sep=" & ") == "A & B"
assert invitation("D", ["b", "a"]) == "D invites: A, B"
