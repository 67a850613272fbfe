"""The ``voteN`` column (issue 21): N programs for the same request and an output vote on
inputs the model wrote, with no expected values (so no model-written expectation can be
wrong, only uninformative).

1. N programs: the model's first reply (greedy, the one every column shares) and N-1
   sampled (temperature 0.8, seeds from the setup's), each run with the visible checks.
2. One more reply asks for calls of the function on varied inputs -- calls only.
3. Every program runs on those calls; what each call returns (or raises) is its
   signature. Among the programs that pass the visible checks (all that ran, when none
   does), the one whose results agree most with the others', call by call, wins
   (agent/agreement.py's vote_per_input: a crash counts nothing on a call where another
   program returned a value; ties keep the earliest, the greedy reply first); it is
   scored. (The first measurement grouped whole signatures instead, and a pair of
   programs crashing on the empty list outvoted the greedy one that handled it.)

It uses only what a user has (the request and its shown examples), like the
execution-feedback columns, and it always pays for N + 1 replies: the column reports
the tokens and minutes next to pass@1.
"""

from __future__ import annotations

import ast
import builtins
import tempfile
import time
from dataclasses import replace
from typing import Any

from oci_interpreter.agent.agreement import vote_per_input
from oci_interpreter.agent.contracts import LoopOptions
from oci_interpreter.agent.events import (
    CodeFound,
    ExecutionEnd,
    ModelReply,
    Stopped,
    event_to_dict,
)
from oci_interpreter.agent.execute import ProgramExecutor
from oci_interpreter.agent.extract import find_blocks
from oci_interpreter.agent.loop import RefineLoop, conversation_task
from oci_interpreter.agent.prompts import PromptSet, for_family
from oci_interpreter.backend.base import Backend, GenerationOptions, Message
from oci_interpreter.bench.base import Outcome, Setup, score
from oci_interpreter.bench.problems import Problem, solution_code
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.sandbox.limits import Limits
from oci_interpreter.sandbox.runner import run_program

# Sent with no system prompt (the interpreter's asks for a plan and a solution, and the
# 1.5B then solved the task instead). Said as "already written", the request gets calls
# more often; when the model still writes the function, its doctest lines are taken.
INPUTS_REQUEST = (
    "I am testing a Python function `{entry}`, already written. Its specification:"
    "\n\n{request}\n\nWrite {count} calls of `{entry}` on varied inputs (edge cases "
    "included) that I can run against it, one call per line in one python block, "
    "like:\n```python\n{entry}(...)\n```\nDo not write the function, expected results, "
    "asserts or prints: only the {count} calls."
)
MAX_CALLS = 8

# What a program prints for each call: its result (floats to 9 significant digits, so
# rounding noise does not split a group) or the exception's type. The function's own
# prints go nowhere.
PROBE = '''
import contextlib as _oci_cl, io as _oci_io

def _oci_norm(value, depth=0):
    if depth > 20:
        return "..."
    if isinstance(value, float):
        return float(f"{{value:.9g}}")
    if isinstance(value, (list, tuple)):
        return type(value)(_oci_norm(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return {{k: _oci_norm(v, depth + 1) for k, v in value.items()}}
    return value

for _oci_call in {calls!r}:
    try:
        with _oci_cl.redirect_stdout(_oci_io.StringIO()):
            _oci_value = eval(_oci_call)
        _oci_line = repr(_oci_norm(_oci_value))
    except BaseException as _oci_exc:  # noqa: BLE001 - any failure is a behaviour
        _oci_line = "raises " + type(_oci_exc).__name__
    print(_oci_line[:2000])
'''


def crashed(result: str) -> bool:
    """A call's result line that says the program raised (the probe's ``raises X``)."""
    return result.startswith("raises ")


def parse_calls(text: str, entry_point: str, limit: int = MAX_CALLS) -> list[str]:
    """The calls of ``entry_point`` in a reply, deduplicated, at most ``limit``: a line
    that is a call, and the call inside ``assert f(x) == y`` or ``print(f(x))`` (the
    expected value is dropped: only the inputs are used), and ``>>> f(x)`` doctest
    lines. A call that needs a name other
    than the function and Python's builtins (a variable the reply set up) is left out:
    it would only raise NameError in every program."""
    sources = [b.code for b in find_blocks(text) if b.language in ("python", "")] or [text]
    calls: list[str] = []
    for source in sources:
        try:
            trees = [ast.parse(source)]
        except SyntaxError:  # one bad line: take the others one by one
            trees = []
            for line in source.splitlines():
                try:
                    trees.append(ast.parse(line.strip()))
                except SyntaxError:
                    continue
        # A small model often writes the function again with more doctest examples
        # instead: their calls are inputs too.
        for line in source.splitlines():
            if line.strip().startswith(">>> "):
                try:
                    trees.append(ast.parse(line.strip()[4:]))
                except SyntaxError:
                    continue
        for tree in trees:
            for node in _outer_calls(tree, entry_point):
                if not _free_names(node) <= _ALLOWED | {entry_point}:
                    continue
                call = ast.unparse(node)
                if call not in calls:
                    calls.append(call)
                if len(calls) >= limit:
                    return calls
    return calls


_ALLOWED = frozenset(dir(builtins))


def _outer_calls(tree: ast.AST, entry_point: str) -> list[ast.Call]:
    """Calls of ``entry_point`` in source order, not those nested inside another one."""
    found: list[ast.Call] = []

    def visit(node: ast.AST) -> None:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == entry_point):
            found.append(node)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _free_names(node: ast.AST) -> set[str]:
    bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Store)}  # comprehension variables
    bound |= {a.arg for n in ast.walk(node) if isinstance(n, ast.Lambda)
              for a in n.args.args}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)} - bound


def signature(problem: Problem, code: str, calls: list[str], limits: Limits) -> str | None:
    """What ``code`` returns for each call, one line each; None when the probe itself did
    not finish (a crash at import, a limit)."""
    program = solution_code(problem, code) + "\n\n" + PROBE.format(calls=calls)
    with tempfile.TemporaryDirectory(prefix="oci-vote-") as tmp:
        result = run_program(code=program, cwd=tmp, limits=limits)
    if result.interrupted:
        raise KeyboardInterrupt
    return result.stdout if result.ok else None


def solve_vote(backend: Backend, problem: Problem, setup: Setup, *, limits: Limits,
               prompts: PromptSet | None = None,
               cancel: CancelToken | None = None) -> Outcome:
    prompts = prompts or for_family(backend.info.family)
    task = conversation_task(prompts, problem.request)
    started = time.monotonic()
    events: list[dict[str, Any]] = []
    programs: list[tuple[str, bool]] = []  # (code, passed the visible checks)
    tokens = 0
    for k in range(setup.vote):
        generation = setup.generation if k == 0 else replace(
            setup.generation, temperature=0.8, seed=setup.generation.seed + 7919 * k)
        # The first program is the single-turn column's (same request, same options:
        # replayed), then run with the visible checks.
        options = LoopOptions(max_rounds=1, generation=generation, require_code=False,
                              confirm=False, accept_silent=True, resample=0)
        with tempfile.TemporaryDirectory(prefix="oci-bench-") as tmp:
            executor = ProgramExecutor(tmp, limits, checks=problem.visible_checks)
            loop = RefineLoop(backend, executor, prompts, options, cancel=cancel)
            run = list(loop.run(task))
        tokens += loop.totals.generated_tokens
        events += [{**event_to_dict(e), "program": k} for e in run
                   if isinstance(e, (ModelReply, ExecutionEnd))]
        stopped = run[-1]
        if isinstance(stopped, Stopped) and stopped.reason == "cancelled":
            return _cancelled(problem, setup, started, tokens, events)
        found = [e.code for e in run if isinstance(e, CodeFound)]
        if found:
            ok = any(isinstance(e, ExecutionEnd) and e.status in ("ok", "silent")
                     for e in run)
            programs.append((found[0], ok))

    calls: list[str] = []
    if len(programs) > 1:
        request = INPUTS_REQUEST.format(request=problem.request.strip(), count=6,
                                        entry=problem.entry_point)
        completion = backend.chat([Message("user", request)], GenerationOptions(
            temperature=0.0, seed=setup.generation.seed, max_tokens=400), cancel=cancel)
        text = "".join(completion)
        tokens += completion.stats.generated_tokens
        if completion.stats.finish_reason == "cancelled":
            return _cancelled(problem, setup, started, tokens, events)
        # The request's own examples are visible checks every voter passed already:
        # they cannot split the vote, so they do not take the place of a new input.
        shown = set(parse_calls(problem.request, problem.entry_point, limit=100))
        calls = [c for c in parse_calls(text, problem.entry_point, limit=100)
                 if c not in shown][:MAX_CALLS]
        events.append({"kind": "vote_inputs", "reply": text, "calls": calls})

    pool = [i for i, (_, ok) in enumerate(programs) if ok] or list(range(len(programs)))
    chosen = pool[0] if pool else None
    detail: dict[str, Any] = {"kind": "vote", "pool": pool, "calls": len(calls)}
    if calls and len(pool) > 1:
        signed = [(i, signature(problem, programs[i][0], calls, limits)) for i in pool]
        voters = [(i, s) for i, s in signed if s is not None]
        result = vote_per_input([s.splitlines() for _, s in voters], crashed)
        if result is not None:
            chosen = voters[result.chosen][0]
            detail.update(agree=result.agree, of=result.of, groups=result.groups,
                          signatures={str(i): s for i, s in signed})
    detail["chosen"] = chosen
    events.append(detail)
    code = programs[chosen][0] if chosen is not None else None
    passed, why = score(problem, code, limits)
    return Outcome(problem.task_id, setup.label, passed,
                   programs[chosen][1] if chosen is not None else False, 1,
                   "solved" if chosen is not None and programs[chosen][1] else "voted",
                   code, why, tokens, time.monotonic() - started, events,
                   by_round=[passed] * (setup.rounds + 1), setup_name=setup.name,
                   prompt=task.messages[-1].content)


def _cancelled(problem: Problem, setup: Setup, started: float, tokens: int,
               events: list[dict[str, Any]]) -> Outcome:
    return Outcome(problem.task_id, setup.label, False, None, 0, "cancelled", None,
                   "cancelled", tokens, time.monotonic() - started, events,
                   by_round=[False] * (setup.rounds + 1), setup_name=setup.name)
