from wrong_32 import needs_reorder, reorder_list

assert needs_reorder(5, 5) is True
assert needs_reorder(6, 5) is False
assert needs_reorder(0, 1) is True
inventory = {"bolt-m6": (5, 5, 200), "nut-m6": (3, 10, 500), "washer": (40, 20, 1000), "screw-4x30": (0, 15, 250)}
assert reorder_list(inventory) == [("bolt-m6", 200), ("nut-m6", 500), ("screw-4x30", 250)]
