"""The loop with the real small model at temperature 0: a few simple tasks and broken
scripts (the success rates over the whole corpus are in docs/loop.md, measured by
benchmarks/loop_success.py, not asserted here)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from oci_interpreter.agent.contracts import LoopOptions
from oci_interpreter.agent.events import ExecutionEnd, Stopped
from oci_interpreter.agent.execute import ProgramExecutor
from oci_interpreter.agent.fix import first_failure, fix_options, fix_task
from oci_interpreter.agent.fixrun import FileExecutor, command_line
from oci_interpreter.agent.loop import RefineLoop, conversation_task
from oci_interpreter.agent.prompts import for_family
from oci_interpreter.backend.base import Message
from oci_interpreter.core.sourcefile import read_source
from oci_interpreter.sandbox.limits import Limits

pytestmark = pytest.mark.model
CASES = Path(__file__).resolve().parent.parent / "benchmarks" / "cases" / "fix"


@pytest.mark.parametrize(("task", "expect"), [
    ("print the 20th Fibonacci number", "6765"),
    ("sum of digits of 2**100", "115"),
])
def test_run_solves_simple_tasks(real_backend: Any, tmp_path: Path, task: str,
                                 expect: str) -> None:
    prompts = for_family(real_backend.info.family)
    loop = RefineLoop(real_backend, ProgramExecutor(tmp_path, Limits(timeout=10)), prompts,
                      LoopOptions())
    events = list(loop.run(conversation_task(prompts, task)))
    stopped = events[-1]
    assert isinstance(stopped, Stopped)
    assert stopped.success, stopped.message
    assert expect in (stopped.final_output or "")
    # Per-round accounting, and the follow-up reused the cached prompt.
    assert stopped.totals.generations >= 2 and stopped.totals.prompt_tokens_reused > 0


@pytest.mark.parametrize("case", ["nameerror_01", "nameerror_02"])
def test_fix_repairs_simple_bugs(real_backend: Any, tmp_path: Path, case: str) -> None:
    copy = tmp_path / "script.py"
    shutil.copyfile(CASES / f"{case}.py", copy)
    expected = (CASES / f"{case}.expected").read_text()
    prompts = for_family(real_backend.info.family)
    source = read_source(copy)
    executor = FileExecutor(source, [], Limits(timeout=10))
    first = executor.run_original()
    assert not first.ok
    task = fix_task(prompts, source, command_line(copy, []),
                    first_failure(prompts, executor, first))
    options = fix_options(LoopOptions(), real_backend.count_tokens([Message("user", source.text)]))
    events = list(RefineLoop(real_backend, executor, prompts, options).run(task))
    stopped = events[-1]
    assert isinstance(stopped, Stopped) and stopped.success, stopped.message
    assert stopped.final_output == expected
    assert copy.read_bytes() == (CASES / f"{case}.py").read_bytes()  # never written here
    assert any(isinstance(e, ExecutionEnd) for e in events)
