"""Does a repair cost more in a bigger file? (issue 36) The same one-line crash bug in
files of 150, 300, 600, 1,200 and 2,000 lines, through the installed `oci fix FILE --yes
--json`, with everything but the size the same.

The core is a 100-line inventory report (the issue's bug: ``item.unit_price`` where the
dataclass has ``unit_cost``, deep in ``order_cost``). Each size adds real, unrelated
definitions around it -- whole functions and classes of the Python standard library's own
modules (``difflib``, ``textwrap``, ``statistics``, ``calendar``, ``fractions``, ...: the
running Python's copies, so nothing third-party is shipped) with their imports, half
before the core's functions and half after them, never called -- as a real script
carries code the failure has nothing to do with. The check: the written file prints
what the correct core prints.

    .venv/bin/python benchmarks/size_sweep.py --oci .venv/bin/oci --model default \\
        --repeat 3 --out FILE.jsonl [--resume]

Each repetition runs every size, the order rotated, so a busy minute does not fall on one
size only. Reported: per size, the median wall seconds, prompt and generated tokens, and
the verdicts; the ratio of each size's median time to the 150-line one's.
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

SIZES = (150, 300, 600, 1200, 2000)
DONORS = ("difflib", "textwrap", "statistics", "calendar", "fractions", "shlex",
          "string", "heapq", "bisect", "colorsys", "netrc", "pprint", "configparser")

CORE_IMPORTS = """\
import csv
import io
import sys
from dataclasses import dataclass, field
"""

CORE = '''\
STOCK = """sku,name,unit_cost,on_hand,reorder_at
B-100,bolt M6,0.12,1200,500
N-200,nut M6,0.05,3400,1000
W-300,washer M6,0.03,150,800
S-400,screw 4x30,0.09,640,600
"""

ORDERS = """order,customer,sku,quantity
1001,Acme,B-100,400
1001,Acme,N-200,400
1002,Birch & Co,S-400,250
1003,Acme,W-300,900
1003,Acme,B-100,100
"""


@dataclass
class Item:
    sku: str
    name: str
    unit_cost: float
    on_hand: int
    reorder_at: int

    def needs_reorder(self, after: int = 0) -> bool:
        return self.on_hand - after < self.reorder_at


@dataclass
class OrderLine:
    order: str
    customer: str
    sku: str
    quantity: int


@dataclass
class Report:
    lines: list = field(default_factory=list)
    total: float = 0.0

    def add(self, text: str) -> None:
        self.lines.append(text)

    def render(self) -> str:
        return "\\n".join(self.lines) + f"\\nTOTAL {self.total:10.2f}"


def read_stock(text: str) -> dict:
    items = {}
    for row in csv.DictReader(io.StringIO(text)):
        items[row["sku"]] = Item(row["sku"], row["name"], float(row["unit_cost"]),
                                 int(row["on_hand"]), int(row["reorder_at"]))
    return items


def read_orders(text: str) -> list:
    return [OrderLine(r["order"], r["customer"], r["sku"], int(r["quantity"]))
            for r in csv.DictReader(io.StringIO(text))]


def order_cost(item: Item, line: OrderLine) -> float:
    return round(item.unit_price * line.quantity, 2)


def shipped(items: dict, orders: list) -> dict:
    out: dict = {}
    for line in orders:
        out[line.sku] = out.get(line.sku, 0) + line.quantity
    return out


def build_report(items: dict, orders: list) -> Report:
    report = Report()
    by_order: dict = {}
    for line in orders:
        by_order.setdefault(line.order, []).append(line)
    for number in sorted(by_order):
        lines = by_order[number]
        cost = sum(order_cost(items[line.sku], line) for line in lines)
        report.total += cost
        report.add(f"{number} {lines[0].customer:<12} {len(lines)} lines {cost:10.2f}")
    out = shipped(items, orders)
    low = [items[sku].name for sku in sorted(items) if items[sku].needs_reorder(out.get(sku, 0))]
    report.add("reorder: " + (", ".join(low) if low else "nothing"))
    return report
'''

CORE_MAIN = '''

if __name__ == "__main__":
    stock = read_stock(STOCK)
    orders = read_orders(ORDERS)
    print(build_report(stock, orders).render())
    sys.exit(0)
'''


def _eager_names(node: ast.AST) -> set[str]:
    """Names a definition reads when it is defined (decorators, bases, default values, a
    class body outside its methods), not when it is called."""
    reads: list[ast.AST] = []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        reads += [*node.decorator_list, *node.args.defaults,
                  *(d for d in node.args.kw_defaults if d is not None)]
    elif isinstance(node, ast.ClassDef):
        reads += [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                reads.append(stmt)  # only what its definition reads, below
            else:
                reads.append(stmt)
    names: set[str] = set()
    for item in reads:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names |= _eager_names(item)
            continue
        names |= {n.id for n in ast.walk(item)
                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names


def donor_parts() -> list[tuple[str, str, list[str]]]:
    """The donors' top-level functions and classes that can be defined with only their
    module's imports: (name, source, the import lines it needs), in order."""
    import builtins

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts: list[tuple[str, str, list[str]]] = []
    for module in DONORS:
        path = stdlib / f"{module}.py"
        if not path.is_file():
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        imports: list[str] = []
        imported: set[str] = set()
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if isinstance(node, ast.ImportFrom) and (node.module == "__future__"
                                                         or node.level):
                    continue
                text = ast.get_source_segment(source, node) or ""
                if "\n" not in text:
                    imports.append(text)
                    imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                continue
            if not _eager_names(node) <= imported | set(dir(builtins)):
                continue  # it reads a module constant when defined
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            lines = source.splitlines()[start - 1:node.end_lineno]
            parts.append((node.name, "\n".join(lines), imports))
    return parts


def build(size: int, *, fixed: bool = False) -> str:
    """The core grown to about ``size`` lines with the donors' definitions."""
    core = CORE.replace("item.unit_price", "item.unit_cost") if fixed else CORE
    base = CORE_IMPORTS + "\n" + core + CORE_MAIN
    taken_names = {n.name for n in ast.parse(base).body
                   if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    chosen: list[str] = []
    head: list[str] = []
    lines = base.count("\n")
    for name, text, imports in donor_parts():
        if lines >= size - 2:
            break
        if name in taken_names or name.startswith("_test") or name == "main":
            continue
        new_imports = [i for i in imports if i not in head and i + "\n" not in CORE_IMPORTS]
        needed = text.count("\n") + 3 + len(new_imports)
        if lines + needed > size + 20:
            continue
        chosen.append(text)
        head += new_imports
        taken_names.add(name)
        lines += needed
    before, after = chosen[: len(chosen) // 2], chosen[len(chosen) // 2:]
    pieces = [CORE_IMPORTS.rstrip("\n"), *head, ""]
    for text in before:
        pieces += ["", text, ""]
    pieces += ["", core.rstrip("\n"), ""]
    for text in after:
        pieces += ["", text, ""]
    return "\n".join(pieces).rstrip("\n") + "\n" + CORE_MAIN


def expected_output() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.py"
        path.write_text(CORE_IMPORTS + "\n" + CORE.replace("item.unit_price",
                                                           "item.unit_cost") + CORE_MAIN)
        return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                              check=True).stdout


def run_size(oci: str, model: str, size: int, timeout: float) -> dict:
    text = build(size)
    with tempfile.TemporaryDirectory(prefix="oci-sweep-") as tmp:
        work = Path(tmp) / "inventory"
        work.mkdir()
        path = work / "inventory.py"
        path.write_text(text)
        started = time.monotonic()
        try:
            proc = subprocess.run([oci, "fix", "inventory.py", "--yes", "--json", "--model",
                                   model], cwd=work, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL, check=False)
            code: int | None = proc.returncode
            out = proc.stdout
        except subprocess.TimeoutExpired:
            code, out = None, ""
        seconds = time.monotonic() - started
        after = path.read_text()
        ran = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                             check=False, timeout=60)
    right = ran.returncode == 0 and ran.stdout == expected_output()
    try:
        report = json.loads(out)
    except ValueError:
        report = {}
    stats = report.get("stats") or {}
    changed = after != text
    verdict = ("timeout" if code is None else "refused" if code == 2 else
               ("right" if right else "wrong") if changed and code in (0, 7) else
               "not_fixed")
    return {"size": size, "lines": text.count("\n"), "bytes": len(text.encode()),
            "exit": code, "verdict": verdict, "seconds": round(seconds, 1),
            "rounds": report.get("rounds"), "prompt_tokens": stats.get("prompt_tokens"),
            "generated_tokens": stats.get("generated_tokens"),
            "generations": stats.get("generations"),
            "diff": (report.get("diff") or "")[:4000]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oci", default=str(Path(__file__).resolve().parent.parent
                                             / ".venv" / "bin" / "oci"))
    parser.add_argument("--model", default="default")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--show", type=int, default=0,
                        help="print the file of this size and stop")
    args = parser.parse_args()
    if args.show:
        sys.stdout.write(build(args.show))
        return 0
    rows: list[dict] = []
    if args.out.exists() and args.out.stat().st_size:
        if not args.resume:
            print(f"{args.out} already holds a run: add --resume", file=sys.stderr)
            return 2
        rows = [json.loads(line) for line in args.out.read_text().splitlines() if line]
    with args.out.open("a", encoding="utf-8") as log:
        for rep in range(args.repeat):
            order = SIZES[rep % len(SIZES):] + SIZES[:rep % len(SIZES)]
            for size in order:
                if any(r["size"] == size and r["repeat"] == rep for r in rows):
                    continue
                row = {"repeat": rep, **run_size(args.oci, args.model, size, args.timeout)}
                rows.append(row)
                log.write(json.dumps(row) + "\n")
                log.flush()
                print(f"rep {rep} {row['lines']:5} lines {row['verdict']:9} "
                      f"{row['seconds']:6.1f}s prompt {row['prompt_tokens']} "
                      f"generated {row['generated_tokens']}", flush=True)
    base = None
    for size in SIZES:
        mine = [r for r in rows if r["size"] == size]
        if not mine:
            continue
        med = statistics.median(r["seconds"] for r in mine)
        base = base or med
        verdicts = {v: sum(r["verdict"] == v for r in mine) for v in
                    sorted({r["verdict"] for r in mine})}
        tokens = [r["generated_tokens"] or 0 for r in mine]
        prompts = [r["prompt_tokens"] or 0 for r in mine]
        print(f"{mine[0]['lines']:5} lines: median {med:6.1f}s ({med / base:.2f}x), "
              f"prompt {statistics.median(prompts):.0f}, generated "
              f"{statistics.median(tokens):.0f} tokens, {verdicts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
