"""What of a large file a repair request shows (agent/focus.py)."""

from __future__ import annotations

from oci_interpreter.agent.focus import focus


def script(filler_functions: int) -> tuple[str, int]:
    """An inventory tool with ``filler_functions`` unrelated helpers between the dataclass
    and the failing function; the line of the bug."""
    parts = ['"""Inventory report."""', "import csv", "from dataclasses import dataclass",
             "", "CURRENCY = 'EUR'", "", "", "@dataclass", "class Item:", "    name: str",
             "    unit_cost: float", "    qty: int", ""]
    for i in range(filler_functions):
        parts += ["", f"def helper_{i}(rows):", f'    """Helper number {i}."""',
                  "    total = 0", "    for row in rows:",
                  f"        total += len(row) * {i}", "    return total", ""]
    parts += ["", "def order_cost(item):", "    return item.unit_price * item.qty", "",
              "", "def report(items):", "    for item in items:",
              "        print(item.name, order_cost(item))", "", "",
              'if __name__ == "__main__":', '    report([Item("bolt", 0.5, 4)])', ""]
    text = "\n".join(parts)
    return text, text.splitlines().index("    return item.unit_price * item.qty") + 1


ERROR = "AttributeError: 'Item' object has no attribute 'unit_price'"


def view_of(filler: int) -> tuple[str, str]:
    text, bug = script(filler)
    main_call = text.splitlines().index('    report([Item("bolt", 0.5, 4)])') + 1
    report_line = text.splitlines().index("        print(item.name, order_cost(item))") + 1
    return text, focus(text, [main_call, report_line, bug], error=ERROR).text


def test_the_view_holds_the_frames_the_class_of_the_failed_attribute_and_the_imports() -> None:
    _, view = view_of(40)
    assert "    return item.unit_price * item.qty" in view
    assert "        print(item.name, order_cost(item))" in view
    assert "    unit_cost: float" in view  # the model must see that unit_cost exists
    assert "import csv" in view and "CURRENCY = 'EUR'" in view
    assert "def helper_7(rows): ..." in view  # the rest as an outline
    assert "total += len(row) * 7" not in view


def test_the_view_grows_with_the_outline_only() -> None:
    """A file 10x longer adds one outline line per function, nothing else."""
    small_text, small = view_of(20)
    large_text, large = view_of(200)
    assert len(large_text) > 8 * len(small_text)
    assert len(large.splitlines()) - len(small.splitlines()) <= 180 + 5
    assert len(large) < len(large_text) / 4


def test_a_method_on_the_traceback_comes_with_its_class_fields_and_init() -> None:
    text = "\n".join([
        "class Store:", '    """A store."""', "    currency = 'EUR'", "",
        "    def __init__(self, items):", "        self.items = items", "",
        "    def value(self):", "        return sum(i.cost for i in self.items)", "",
        "    def names(self):", "        return [i.name for i in self.items]", "",
        *[line for i in range(30) for line in (f"    def m{i}(self):",
                                               f"        return {i}", "")],
    ])
    view = focus(text, [9])
    assert view.involved == ("Store.value",)
    assert "        self.items = items" in view.text
    assert "        return sum(i.cost for i in self.items)" in view.text
    assert "    def names(self): ..." in view.text


def test_a_check_shows_what_it_imports_from_the_script() -> None:
    text, _ = script(30)
    view = focus(text, [], check="from inventory import order_cost\nassert order_cost(x) == 2\n",
                 module="inventory")
    assert "order_cost" in view.involved
    assert "    return item.unit_price * item.qty" in view.text


def test_nothing_on_the_traceback_shows_the_main_block_else_the_whole_file() -> None:
    text, _ = script(5)
    view = focus(text, [])
    assert view.involved == ("the __main__ block",) and not view.whole
    assert '    report([Item("bolt", 0.5, 4)])' in view.text
    library = "def f():\n    return 1\n"
    assert focus(library, []).whole


def test_a_file_that_does_not_parse_is_shown_whole() -> None:
    assert focus("def f(:\n    pass\n", [1]).whole


def test_names_from_an_earlier_view_are_shown_again() -> None:
    text, _ = script(10)
    view = focus(text, [], names=("order_cost", "report"))
    assert view.involved[:2] == ("order_cost", "report")
    assert "def helper_3(rows): ..." in view.text


def test_outer_frames_beyond_the_budget_are_outlined_the_one_that_raised_never() -> None:
    big_body = "".join(f"    step_{i} = {i}\n" for i in range(300))
    text = ("def outer():\n" + big_body + "    return inner()\n\n\n"
            "def inner():\n    return missing_name\n\n\nouter()\n")
    lines = text.splitlines()
    call = lines.index("    return inner()") + 1
    raised = lines.index("    return missing_name") + 1
    view = focus(text, [len(lines), call, raised], budget=2000)
    assert view.involved[0] == "inner"
    assert "    return missing_name" in view.text
    assert "def outer(): ..." in view.text and "step_10 = 10" not in view.text
    # A function that raised is shown whatever its size.
    assert "step_10 = 10" in focus(text, [call], budget=100).text


def test_a_crowded_file_names_the_definitions_it_does_not_outline() -> None:
    text, bug = script(100)
    view = focus(text, [bug], error=ERROR)
    assert "# Also defined, not shown (101): helper_0, helper_1" in view.text
    assert "def helper_5(rows): ..." not in view.text


def test_the_class_of_a_failed_attribute_comes_before_the_outer_frames() -> None:
    """chaos.py: `self.splines[i].get_domain()` where Spline has GetDomain; the outer frames
    fill the budget, the class that holds the right name must still be shown."""
    spline = ["class Spline:", "    def __init__(self, points):", "        self.points = points",
              *[line for i in range(30) for line in (f"    def m{i}(self):",
                                                     f"        return {i}")],
              "    def GetDomain(self):", "        return (0, 1)", ""]
    outer = ["def main():", *[f"    step_{i} = {i}" for i in range(200)],
             "    return use(Spline([1]))", ""]
    use = ["def use(spline):", "    return spline.get_domain()", ""]
    text = "\n".join([*spline, "", *use, "", *outer, "", "main()", ""])
    lines = text.splitlines()
    frames = [lines.index("main()") + 1, lines.index("    return use(Spline([1]))") + 1,
              lines.index("    return spline.get_domain()") + 1]
    view = focus(text, frames, budget=1500,
                 error="AttributeError: 'Spline' object has no attribute 'get_domain'")
    assert "    def GetDomain(self): ..." in view.text or "    def GetDomain(self):" in view.text
    assert "step_10 = 10" not in view.text  # the long outer frame did not fit
