"""A repair that invents state is not a repair (issue 36, item 2): agent/invented.py refuses
a candidate that makes the failing attribute, name or key exist with a made-up value,
reads it with a default, renames it to a name nothing defines, or catches its error, and
names the near names that exist; agent/hints.py names them before the model answers.
Pure functions of texts and hand-written tracebacks: no process starts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from oci_interpreter.agent import invented, verify
from oci_interpreter.agent.hints import hint

PATH = "/w/orders.py"
NAMES = (PATH, "orders.py")

ORDERS = '''from dataclasses import dataclass


@dataclass
class Item:
    name: str
    unit_cost: float
    qty: int


def order_total(items):
    total = 0.0
    for item in items:
        total += item.unit_price * item.qty
    return total


if __name__ == "__main__":
    items = [Item("bolt", 0.25, 40), Item("nut", 0.1, 40)]
    print(f"total: {order_total(items):.2f}")
'''
USE = "        total += item.unit_price * item.qty"
NO_UNIT_PRICE = "AttributeError: 'Item' object has no attribute 'unit_price'"


def line_of(text: str, snippet: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if snippet in line)


def traceback(text: str, calls: list[tuple[str, str]], error: str) -> str:
    """A traceback through ``calls`` (a snippet of each frame's line, its function),
    outermost first, ending in ``error``."""
    out = ["Traceback (most recent call last):"]
    for snippet, function in calls:
        line = line_of(text, snippet)
        out += [f'  File "{PATH}", line {line}, in {function}',
                "    " + text.splitlines()[line - 1].strip()]
    return "\n".join([*out, error]) + "\n"


ORDERS_ERR = traceback(ORDERS, [("print(f\"total", "<module>"), ("item.unit_price", "order_total")],
                       NO_UNIT_PRICE)


def judge(old: str, new: str, stderr: str | None) -> verify.Rejection | None:
    """As `oci fix` does: the static checks with the original's traceback (None: without
    it, as a caller that does not pass it)."""
    failing = [f.line for f in verify.failure_frames(stderr or "", NAMES)]
    return verify.static_checks(old, new, failing) or \
        invented.invented_state(old, new, failing, stderr)


def judge_both(old: str, new: str, stderr: str) -> tuple[verify.Rejection | None,
                                                         verify.Rejection | None]:
    """With the traceback, and without it (the failing lines alone)."""
    failing = [f.line for f in verify.failure_frames(stderr, NAMES)]
    return (verify.static_checks(old, new, failing)
            or invented.invented_state(old, new, failing, stderr),
            verify.static_checks(old, new, failing)
            or invented.invented_state(old, new, failing))


# ------------------------------------------------------------------ the issue's case


def test_the_issue_s_dataclass_field_with_a_made_up_value_is_refused() -> None:
    candidate = ORDERS.replace("    qty: int\n", "    qty: int\n    unit_price: float = 0.0\n")
    for rejection in judge_both(ORDERS, candidate, ORDERS_ERR):
        assert rejection is not None and rejection.kind == "invented_name"
        assert "`unit_price` does not exist" in rejection.detail
        assert "made-up value (`0.0`)" in rejection.detail
        assert "`Item` has `unit_cost`" in rejection.detail
        assert "use the name that exists" in rejection.detail


def test_using_the_name_that_exists_is_the_repair() -> None:
    candidate = ORDERS.replace("item.unit_price", "item.unit_cost")
    assert judge_both(ORDERS, candidate, ORDERS_ERR) == (None, None)


# ----------------------------------------------- 1. a new definition of the failing name

PLAIN = '''class Item:
    def __init__(self, name, unit_cost, qty):
        self.name = name
        self.unit_cost = unit_cost
        self.qty = qty


def order_total(items):
    total = 0.0
    for item in items:
        total += item.unit_price * item.qty
    return total


print(order_total([Item("bolt", 0.25, 40)]))
'''
PLAIN_ERR = traceback(PLAIN, [("print(order_total", "<module>"),
                              ("item.unit_price", "order_total")], NO_UNIT_PRICE)


@pytest.mark.parametrize("candidate", [
    # self.unit_price = <constant> in __init__
    PLAIN.replace("        self.qty = qty\n",
                  "        self.qty = qty\n        self.unit_price = 0\n"),
    # a class attribute
    PLAIN.replace("class Item:\n", "class Item:\n    unit_price = 0.0\n\n"),
    # a property returning a constant
    PLAIN.replace("class Item:\n", "class Item:\n    @property\n    def unit_price(self):\n"
                                   "        return 0.0\n\n"),
    # an alias of the near name is still not the name that exists
    PLAIN.replace("        self.qty = qty\n",
                  "        self.qty = qty\n        self.unit_price = unit_cost\n"),
    # __getattr__ that hands back a default
    PLAIN.replace("class Item:\n", "class Item:\n    def __getattr__(self, name):\n"
                                   "        return 0\n\n"),
])
def test_adding_the_missing_attribute_is_refused(candidate: str) -> None:
    for rejection in judge_both(PLAIN, candidate, PLAIN_ERR):
        assert rejection is not None and rejection.kind == "invented_name", rejection
        assert "`unit_cost`" in rejection.detail


def test_getattr_with_a_default_at_the_failing_use_is_refused() -> None:
    candidate = PLAIN.replace("item.unit_price", 'getattr(item, "unit_price", 0)')
    for rejection in judge_both(PLAIN, candidate, PLAIN_ERR):
        assert rejection is not None and rejection.kind == "default_lookup"
        assert 'getattr(..., "unit_price", 0)' in rejection.detail
        assert "`unit_cost`" in rejection.detail


TOTALS = '''prices = [3, 4, 5]
total = 0
for p in prices:
    total += p
print("sum:", totl)
'''
TOTALS_ERR = traceback(TOTALS, [("print(", "<module>")],
                       "NameError: name 'totl' is not defined. Did you mean: 'total'?")


def test_a_global_for_an_undefined_name_is_refused() -> None:
    candidate = "totl = 0\n" + TOTALS
    for rejection in judge_both(TOTALS, candidate, TOTALS_ERR):
        assert rejection is not None and rejection.kind == "invented_name"
        assert "`totl` is not defined" in rejection.detail and "`total`" in rejection.detail
    fixed = TOTALS.replace("totl", "total")
    assert judge_both(TOTALS, fixed, TOTALS_ERR) == (None, None)


ROWS = '''rows = [{"name": "bolt", "quantity": 40}, {"name": "nut", "quantity": 12}]
count = 0
for row in rows:
    count += row["qty"]
print(count)
'''
ROWS_ERR = traceback(ROWS, [('row["qty"]', "<module>")], "KeyError: 'qty'")


def test_a_default_for_a_key_the_data_never_has_is_refused() -> None:
    candidate = ROWS.replace('row["qty"]', 'row.get("qty", 0)')
    for rejection in judge_both(ROWS, candidate, ROWS_ERR):
        assert rejection is not None and rejection.kind == "default_lookup"
        assert "'quantity'" in rejection.detail and "the key 'qty'" in rejection.detail
    fixed = ROWS.replace('row["qty"]', 'row["quantity"]')
    assert judge_both(ROWS, fixed, ROWS_ERR) == (None, None)


def test_adding_the_key_to_the_data_with_a_made_up_value_is_refused() -> None:
    candidate = ROWS.replace('"quantity": 40}', '"quantity": 40, "qty": 0}').replace(
        '"quantity": 12}', '"quantity": 12, "qty": 0}')
    rejection = judge(ROWS, candidate, ROWS_ERR)
    assert rejection is not None and rejection.kind == "invented_name"
    assert "'quantity'" in rejection.detail


def test_a_default_for_a_literal_dict_that_lacks_the_key_is_refused() -> None:
    script = ('settings = {"rate": 0.2, "currency": "EUR"}\n'
              'price = 10 * (1 + settings["vat"])\nprint(price)\n')
    err = traceback(script, [("price =", "<module>")], "KeyError: 'vat'")
    candidate = script.replace('settings["vat"]', 'settings.get("vat", 0)')
    rejection = judge(script, candidate, err)
    assert rejection is not None and rejection.kind == "default_lookup"
    assert "'currency', 'rate'" in rejection.detail


# --------------------------------------- 2. renaming the failing use to an undefined name


def test_renaming_to_a_name_nothing_defines_is_refused() -> None:
    candidate = PLAIN.replace("item.unit_price", "item.price_per_unit")
    rejection = judge(PLAIN, candidate, PLAIN_ERR)
    assert rejection is not None and rejection.kind == "renamed_to_undefined"
    assert "`price_per_unit`" in rejection.detail and "`unit_cost`" in rejection.detail


def test_renaming_to_a_new_name_the_change_adds_is_refused() -> None:
    candidate = ORDERS.replace("item.unit_price", "item.price_per_unit").replace(
        "    qty: int\n", "    qty: int\n    price_per_unit: float = 0.0\n")
    for rejection in judge_both(ORDERS, candidate, ORDERS_ERR):
        assert rejection is not None and rejection.kind == "invented_name"
        assert "replaces it with `price_per_unit`" in rejection.detail
        assert "`unit_cost`" in rejection.detail


# ----------------------------------------------- 3. catching the failure's own exception


@pytest.mark.parametrize(("old", "err", "candidate", "kind"), [
    (PLAIN, PLAIN_ERR, PLAIN.replace(
        "        total += item.unit_price * item.qty\n",
        "        try:\n            total += item.unit_price * item.qty\n"
        "        except AttributeError:\n            pass\n"), "caught_failure"),
    (PLAIN, PLAIN_ERR, PLAIN.replace(
        "        total += item.unit_price * item.qty\n",
        "        try:\n            total += item.unit_price * item.qty\n"
        "        except (AttributeError, TypeError):\n            total += 0\n"),
     "caught_failure"),
    (PLAIN, PLAIN_ERR, PLAIN.replace(  # a handler that computes is not hiding anything
        "        total += item.unit_price * item.qty\n",
        "        try:\n            total += item.unit_price * item.qty\n"
        "        except AttributeError:\n            total += item.unit_cost * item.qty\n"),
     None),
    (PLAIN, PLAIN_ERR, PLAIN.replace(
        "        total += item.unit_price * item.qty\n",
        "        try:\n            total += item.unit_price * item.qty\n"
        "        except AttributeError:\n            continue\n"), "caught_failure"),
    (PLAIN, PLAIN_ERR, PLAIN.replace(
        "        total += item.unit_price * item.qty\n",
        '        if hasattr(item, "unit_price"):\n'
        "            total += item.unit_price * item.qty\n"), "guarded_failure"),
    (TOTALS, TOTALS_ERR, TOTALS.replace(
        'print("sum:", totl)\n',
        'try:\n    print("sum:", totl)\nexcept NameError:\n    print("sum:", 0)\n'),
     "caught_failure"),
    (ROWS, ROWS_ERR, ROWS.replace(
        '    count += row["qty"]\n',
        '    try:\n        count += row["qty"]\n    except KeyError:\n        pass\n'),
     "caught_failure"),
])
def test_catching_the_failure_s_own_exception_is_refused(old: str, err: str, candidate: str,
                                                         kind: str | None) -> None:
    rejection = judge(old, candidate, err)
    assert (rejection.kind if rejection else None) == kind
    if rejection is not None:
        assert "`unit_cost`" in rejection.detail or "`total`" in rejection.detail or (
            "'quantity'" in rejection.detail)


def test_catching_a_missing_attribute_of_none_is_left_to_the_other_checks() -> None:
    script = ('import re\n\nfor line in ["a=1", "b"]:\n'
              '    value = re.match(r"(\\w)=(\\d)", line).group(2)\n    print(value)\n')
    err = traceback(script, [(".group(2)", "<module>")],
                    "AttributeError: 'NoneType' object has no attribute 'group'")
    candidate = script.replace(
        '    value = re.match(r"(\\w)=(\\d)", line).group(2)\n',
        '    try:\n        value = re.match(r"(\\w)=(\\d)", line).group(2)\n'
        "    except AttributeError:\n        continue\n")
    assert judge(script, candidate, err) is None


# ------------------------------------------------------------- repairs that stay repairs


def test_a_missing_import_is_the_repair() -> None:
    script = "def area(r):\n    return math.pi * r * r\n\n\nprint(area(2))\n"
    err = traceback(script, [("print(area", "<module>"), ("math.pi", "area")],
                    "NameError: name 'math' is not defined")
    assert judge_both(script, "import math\n\n" + script, err) == (None, None)


ORDER = '''class Order:
    def __init__(self, prices, qty):
        self.prices = prices
        self.qty = qty


order = Order([2.5, 4.0], 3)
print(order.total)
'''
ORDER_ERR = traceback(ORDER, [("print(order.total)", "<module>")],
                      "AttributeError: 'Order' object has no attribute 'total'")


def test_a_computed_attribute_with_no_near_name_is_the_repair() -> None:
    candidate = ORDER.replace("        self.qty = qty\n",
                              "        self.qty = qty\n"
                              "        self.total = sum(prices) * qty\n")
    assert judge_both(ORDER, candidate, ORDER_ERR) == (None, None)
    made_up = ORDER.replace("        self.qty = qty\n",
                            "        self.qty = qty\n        self.total = 0\n")
    for rejection in judge_both(ORDER, made_up, ORDER_ERR):
        assert rejection is not None and rejection.kind == "invented_name"
        assert "nothing ever sets it" in rejection.detail and "`prices`" in rejection.detail


COUNTER = '''counts = {}
for w in "the cat and the hat".split():
    counts[w] += 1
print(counts)
'''
COUNTER_ERR = traceback(COUNTER, [("counts[w] += 1", "<module>")], "KeyError: 'the'")


@pytest.mark.parametrize("candidate", [
    COUNTER.replace("counts[w] += 1", "counts[w] = counts.get(w, 0) + 1"),
    COUNTER.replace("    counts[w] += 1\n",
                    "    try:\n        counts[w] += 1\n    except KeyError:\n"
                    "        counts[w] = 1\n"),
    COUNTER.replace("    counts[w] += 1\n",
                    "    if w not in counts:\n        counts[w] = 0\n    counts[w] += 1\n"),
])
def test_a_counter_started_from_a_default_is_the_repair(candidate: str) -> None:
    assert judge_both(COUNTER, candidate, COUNTER_ERR) == (None, None)


CART = '''class Cart:
    def __init__(self, owner):
        self.owner = owner

    def add(self, item):
        self.lines.append(item)


cart = Cart("ann")
cart.add("lamp")
print(cart.lines)
'''
CART_ERR = traceback(CART, [('cart.add("lamp")', "<module>"), ("self.lines.append", "add")],
                     "AttributeError: 'Cart' object has no attribute 'lines'")


def test_initialising_state_the_program_maintains_is_the_repair() -> None:
    candidate = CART.replace("        self.owner = owner\n",
                             "        self.owner = owner\n        self.lines = []\n")
    assert judge_both(CART, candidate, CART_ERR) == (None, None)
    script = "def total(xs):\n    for x in xs:\n        t += x\n    return t\n\nprint(total([1]))\n"
    err = traceback(script, [("print(total", "<module>"), ("t += x", "total")],
                    "UnboundLocalError: cannot access local variable 't' where it is not "
                    "associated with a value")
    fixed = script.replace("    for x in xs:\n", "    t = 0\n    for x in xs:\n")
    assert judge_both(script, fixed, err) == (None, None)
    loop = "for x in [1, 2]:\n    s += x\nprint(s)\n"
    loop_err = traceback(loop, [("s += x", "<module>")], "NameError: name 's' is not defined")
    assert judge_both(loop, "s = 0\n" + loop, loop_err) == (None, None)


def test_a_missing_function_implemented_for_real_is_the_repair() -> None:
    script = ("def calculate_total(xs):\n    return sum(xs)\n\n\n"
              "print(calculate_tax(calculate_total([10, 20])))\n")
    err = traceback(script, [("print(", "<module>")],
                    "NameError: name 'calculate_tax' is not defined")
    real = script.replace("\n\nprint(", "\n\ndef calculate_tax(x):\n    return x * 0.2\n"
                          "\n\nprint(")
    assert judge_both(script, real, err) == (None, None)
    stub = script.replace("\n\nprint(", "\n\ndef calculate_tax(x):\n    return 0\n\n\nprint(")
    rejection = judge(script, stub, err)
    assert rejection is not None and rejection.kind == "invented_name"


def test_a_traceback_of_another_error_leaves_the_candidate_to_the_other_checks() -> None:
    candidate = ORDERS.replace("    qty: int\n", "    qty: int\n    unit_price: float = 0.0\n")
    other = ORDERS_ERR.replace(NO_UNIT_PRICE, "ZeroDivisionError: division by zero")
    assert judge(ORDERS, candidate, other) is None


# ------------------------------------------------------------------- the pieces


@pytest.mark.parametrize(("stderr", "expected"), [
    (NO_UNIT_PRICE, invented.Failure("AttributeError", "unit_price", "Item")),
    ("AttributeError: 'C' object has no attribute 'widht'. Did you mean: 'width'?",
     invented.Failure("AttributeError", "widht", "C", suggested="width")),
    ("AttributeError: type object 'Item' has no attribute 'make'",
     invented.Failure("AttributeError", "make", "Item")),
    ("NameError: name 'totl' is not defined. Did you mean: 'total'?",
     invented.Failure("NameError", "totl", suggested="total")),
    ("KeyError: 'qty'", invented.Failure("KeyError", "qty", key="qty")),
    ("KeyError: 3", invented.Failure("KeyError", "3", key=3)),
    ("AttributeError: module 'math' has no attribute 'sqr'", None),
    ("ValueError: bad", None),
    ("json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)", None),
    ("", None),
])
def test_the_failure_is_read_from_the_traceback_s_last_line(
        stderr: str, expected: invented.Failure | None) -> None:
    assert invented.parse_failure("Traceback (most recent call last):\n  File \"x.py\", line 1,"
                                f" in <module>\n    x\n{stderr}\n") == expected


def test_near_names() -> None:
    assert invented.near_names("unit_price", {"name", "unit_cost", "qty"}) == ["unit_cost"]
    assert invented.near_names("totl", ["total", "prices"]) == ["total"]
    assert invented.near_names("pi", ["p", "r"]) == []  # short names need to be closer
    assert invented.near_names("qty", ["quantity", "name"]) == []
    assert invented.near_names("qty", ["quantity", "name"], abbreviations=True) == ["quantity"]
    assert invented.near_names("x", ["__init__", "x"]) == []


def test_attributes_of_a_class_the_program_defines() -> None:
    tree = ast.parse(CART)
    assert invented.attributes_of(tree, "Cart") == ({"__init__", "owner", "add"}, True)
    assert invented.attributes_of(tree, "dict") is None


# ------------------------------------------------------------------------ the hints


def test_the_hint_names_the_attributes_python_does_not_suggest() -> None:
    advice = hint(PLAIN_ERR, PLAIN) or ""
    assert "`Item` has no attribute `unit_price`" in advice
    assert "`unit_cost`" in advice and "made-up value" in advice
    advice = hint(ORDER_ERR, ORDER) or ""
    assert "the program gives it `prices`, `qty`" in advice
    # Python already said it: no second suggestion from the hint
    said = PLAIN_ERR.replace(NO_UNIT_PRICE, NO_UNIT_PRICE + ". Did you mean: 'unit_cost'?")
    assert hint(said, PLAIN) is None


def test_the_hint_names_the_key_the_data_has() -> None:
    advice = hint(ROWS_ERR, ROWS) or ""
    assert "The key 'qty' is not in the dict" in advice and "'quantity'" in advice
    # a counter still gets the counter's advice
    assert "d.get(k, 0) + 1" in (hint(COUNTER_ERR, COUNTER) or "")


GRID = '''rows, cols = "ABC", "123"
values = {r + c: str(len(r + c)) for r in rows for c in cols}
for r in rows:
    print("".join(values[c + r] for c in cols))
'''
GRID_ERR = traceback(GRID, [("print(", "<module>")], "KeyError: '1A'")


def test_a_default_for_a_key_the_code_builds_is_refused() -> None:
    # Sudoku's display read `values[c+r]` where the squares are `r+c`; the 1.5B's "fix"
    # was `values.get(c+r, ' ')`, which prints a blank grid.
    # With the traceback only: without it, the keys guessed are the failing line's
    # string literals, and this key is built.
    candidate = GRID.replace("values[c + r]", "values.get(c + r, ' ')")
    rejection = judge_both(GRID, candidate, GRID_ERR)[0]
    assert rejection is not None and rejection.kind == "default_lookup"
    assert "the key '1A'" in rejection.detail and "built wrong" in rejection.detail
    fixed = GRID.replace("values[c + r]", "values[r + c]")
    assert judge_both(GRID, fixed, GRID_ERR) == (None, None)


@pytest.mark.spawns
def test_no_reference_fix_of_the_repair_corpus_is_refused(tmp_path: Path) -> None:
    """The 100 reference fixes of benchmarks/cases/fix, judged against their buggy
    script's real traceback: none is taken for invented state."""
    import subprocess
    import sys

    cases = Path(__file__).resolve().parents[1] / "benchmarks" / "cases" / "fix"
    refused = []
    pairs = [(cases / ref.name, ref) for ref in sorted((cases / "reference").glob("*.py"))]
    assert len(pairs) == 100
    for buggy, ref in pairs:
        script = tmp_path / buggy.name
        script.write_text(buggy.read_text())
        run = subprocess.run([sys.executable, script.name], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60, stdin=subprocess.DEVNULL)
        failing = [f.line for f in verify.failure_frames(run.stderr, (script.name,))]
        rejection = (verify.static_checks(buggy.read_text(), ref.read_text(), failing)
                     or invented.invented_state(buggy.read_text(), ref.read_text(), failing,
                                                run.stderr))
        if rejection is not None:
            refused.append((buggy.name, rejection.kind))
    assert refused == []


# ------------------------------------------- a TypeError's value dropped from the line

HELP = '''class HelpFormatter:
    default_tag = "%default"

    def expand_default(self, option, defaults):
        default_value = defaults.get(option.dest)
        return option.help.replace(self.default_tag, default_value)


class Opt:
    dest, help = "width", "width (default: %default)"


print(HelpFormatter().expand_default(Opt(), {"width": 80}))
'''
HELP_ERR = traceback(HELP, [("print(HelpFormatter", "<module>"),
                            ("replace(self.default_tag", "expand_default")],
                     "TypeError: replace() argument 2 must be str, not int")


@pytest.mark.parametrize("empty", ['""', "''", "None", "0"])
def test_dropping_the_value_of_a_type_error_for_an_empty_one_is_refused(empty: str) -> None:
    """optparse (real-size corpus): `replace(self.default_tag, "")` ran, and the help lost
    every default."""
    candidate = HELP.replace("replace(self.default_tag, default_value)",
                             f"replace(self.default_tag, {empty})")
    rejection = judge(HELP, candidate, HELP_ERR)
    assert rejection is not None and rejection.kind == "dropped_value"
    assert "drops `default_value` from the failing line" in rejection.detail
    assert "`str(default_value)`" in rejection.detail


@pytest.mark.parametrize("fixed", ["str(default_value)", "f'{default_value}'",
                                   "'%s' % default_value"])
def test_converting_the_value_of_a_type_error_is_the_repair(fixed: str) -> None:
    candidate = HELP.replace("replace(self.default_tag, default_value)",
                             f"replace(self.default_tag, {fixed})")
    assert judge(HELP, candidate, HELP_ERR) is None
