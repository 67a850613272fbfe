def boxes_needed(items, per_box):
    if per_box <= 0:
        raise ValueError("per_box must be positive")
    return round(items / per_box)


def packing_plan(orders, per_box):
    plan = {}
    for order_id, items in orders.items():
        boxes = boxes_needed(items, per_box)
        plan[order_id] = (boxes, boxes * per_box - items)
    return plan


if __name__ == "__main__":
    orders = {"A100": 9, "A101": 12, "A102": 1, "A103": 10}
    for order_id, (boxes, empty) in packing_plan(orders, 4).items():
        print(f"{order_id}: {boxes} boxes, {empty} empty slots")
