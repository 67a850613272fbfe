from wrong_02 import page_count, page_items

items = list(range(1, 26))
assert page_items(items, 1, 10) == list(range(1, 11))
assert page_items(items, 3, 10) == [21, 22, 23, 24, 25]
assert page_items(items, 2, 5) == [6, 7, 8, 9, 10]
assert page_count(25, 10) == 3
