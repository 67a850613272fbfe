from wrong_21 import boxes_needed, packing_plan

assert boxes_needed(9, 4) == 3
assert boxes_needed(8, 4) == 2
assert boxes_needed(1, 10) == 1
assert boxes_needed(0, 4) == 0
assert boxes_needed(10, 4) == 3
assert packing_plan({"x": 1}, 4) == {"x": (1, 3)}
