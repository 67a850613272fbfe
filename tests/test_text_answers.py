"""Tasks that need no program get words (issue 38): `git diff | oci run "write a one-line
commit message"` is answered in text (answer_only), not with a program that prints the
diff's first line; computing tasks still run programs."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from oci_interpreter.agent.tasks import wants_words
from oci_interpreter.cli.main import main_with_status

DIFF = ("diff --git a/inv.py b/inv.py\n--- a/inv.py\n+++ b/inv.py\n@@ -1,2 +1,2 @@\n"
        "-TAX = 0.07\n+TAX = 0.08\n")


@pytest.mark.parametrize(("task", "words"), [
    ("write a one-line git commit message for the diff on stdin", True),
    ("explain this traceback", True),
    ("summarize the log on stdin", True),
    ("write a short email to my team about the outage", True),
    ("Write a function is_prime(n) and print is_prime(97)", False),
    ("summarize sales.csv: the total per region", False),
    ("explain how many primes are below 100", False),
    ("print the 20th Fibonacci number", False),
])
def test_which_tasks_ask_for_words(task: str, words: bool) -> None:
    assert wants_words(task) is words


@pytest.mark.spawns
def test_a_commit_message_for_piped_diff_is_answered_in_words(tmp_path: Path) -> None:
    from oci_interpreter.backend.fake import FakeBackend
    from oci_interpreter.cli.environment import Environment

    model = FakeBackend(["Raise the tax rate from 7% to 8%"])
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.TextIOWrapper(io.BytesIO(DIFF.encode())), stdout=out,
                      stderr=err, stdin_isatty=False, stdout_isatty=False,
                      stderr_isatty=False, stdin_is_data=True,
                      load_backend=lambda settings, progress: model)
    code = main_with_status(["run", "write a one-line git commit message for the diff on "
                             "stdin", "--json", "--cwd", str(tmp_path), "--model", "x"], env=env)
    report = json.loads(out.getvalue())
    assert code == 0 and report["answer_only"] is True
    assert report["answer"] == "Raise the tax rate from 7% to 8%"
    assert report["evidence"] == "answered in words; nothing was run or checked"
    assert report["stop_reason"] == "answered" and report["final_code"] is None
    system, request = model.calls[0][0].content, model.calls[0][-1].content
    assert "asks for words" in system and "+TAX = 0.08" in request  # the whole diff


@pytest.mark.spawns
def test_the_answer_goes_to_stdout(oci_bin: str, tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["Raise the tax rate from 7% to 8%"]))
    proc = subprocess.run([oci_bin, "run", "write a one-line commit message for the diff on "
                           "stdin", "--model", f"fake:{replies}"], input=DIFF, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "Raise the tax rate from 7% to 8%\n"


TRACEBACK = ('Traceback (most recent call last):\n  File "summary.py", line 42, in by_region\n'
             '    totals[row["region"]] += float(row["amount"])\nKeyError: \'region\'\n')


def run_words(model: object, task: str, data: str, tmp_path: Path) -> tuple[int, dict]:
    from oci_interpreter.cli.environment import Environment

    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.TextIOWrapper(io.BytesIO(data.encode())), stdout=out,
                      stderr=err, stdin_isatty=False, stdout_isatty=False,
                      stderr_isatty=False, stdin_is_data=True,
                      load_backend=lambda settings, progress: model)
    code = main_with_status(["run", task, "--json", "--cwd", str(tmp_path), "--model", "x"],
                            env=env)
    return code, json.loads(out.getvalue())


@pytest.mark.spawns
def test_an_explanation_with_a_corrected_line_is_the_answer_not_a_program(
        tmp_path: Path) -> None:
    """benchmarks/text_answers.py: "explain this traceback and how to fix it" got an
    explanation with the corrected line in a python block; oci ran that block as a
    program (KeyError: the file is not here) and reported no answer. The code in an
    explanation is part of it; the reply is read whole (no stop after the block)."""
    from oci_interpreter.backend.fake import FakeBackend

    answer = ("The rows have no 'region' column, so `row[\"region\"]` raises KeyError.\n\n"
              "```python\ntotals[row.get(\"area\")] += float(row[\"amount\"])\n```\n\n"
              "Check the CSV header and use the column it has.")
    model = FakeBackend([answer])
    code, report = run_words(model, "explain this traceback and how to fix it", TRACEBACK,
                             tmp_path)
    assert code == 0 and report["answer_only"] is True
    assert report["answer"] == answer
    assert not [e for e in report["events"] if e["kind"] == "execution_end"]


@pytest.mark.spawns
def test_a_commit_message_in_a_fence_comes_out_without_it(tmp_path: Path) -> None:
    from oci_interpreter.backend.fake import FakeBackend

    model = FakeBackend(["```\nRaise the tax rate from 7% to 8%\n```"])
    code, report = run_words(model, "write a one-line git commit message for the diff on "
                             "stdin", DIFF, tmp_path)
    assert code == 0 and report["answer"] == "Raise the tax rate from 7% to 8%"


@pytest.mark.spawns
def test_a_words_task_answered_with_a_program_only_still_runs_it(tmp_path: Path) -> None:
    from oci_interpreter.backend.fake import FakeBackend

    model = FakeBackend(["```python\nprint('Raise the tax rate')\n```", "Done."])
    code, report = run_words(model, "write a one-line git commit message for the diff on "
                             "stdin", DIFF, tmp_path)
    ends = [e for e in report["events"] if e["kind"] == "execution_end"]
    assert code == 0 and ends and report["answer_only"] is False


@pytest.mark.parametrize(("reply", "shown"), [
    ("```\nRaise the tax rate\n```", "Raise the tax rate"),
    ("```text\nRaise the tax rate\n```", "Raise the tax rate"),
    ("```\nThe code defines two functions.", "The code defines two functions."),
    ("It divides by len().\n```python\nx = 1\n```", "It divides by len().\n```python\nx = 1\n```"),
    ("```python\nprint(1)\n```", "```python\nprint(1)\n```"),
])
def test_a_words_answer_loses_only_a_fence_around_all_of_it(reply: str, shown: str) -> None:
    from oci_interpreter.agent.tasks import answer_text

    assert answer_text(reply) == shown


@pytest.mark.parametrize(("reply", "words"), [
    # prose around a closed code block: the prose counts, the code does not
    ("It divides by len() of an empty list.\n```python\nx = total / count\n```\nGuard it.",
     10),
    # a reply cut off inside a code block: what follows the fence is code, not words
    ("Fix:\n```python\nfor row in rows:\n    total += row.amount * row.quantity\n", 1),
    # one block of text in a bare or text fence is all words (a commit message)
    ("```\nRaise the default tax rate to 8%\n```", 7),
    ("```text\nRaise the default tax rate to 8%\n```", 7),
    # ...but a bare fence around a program is a program
    ("```\nfor i in range(10):\n    print(i, i * i, i ** 3)\n```", 0),
])
def test_prose_words_count_only_what_is_outside_code(reply: str, words: int) -> None:
    from oci_interpreter.agent.tasks import prose_words

    assert prose_words(reply) == words


def test_outside_blocks_drops_fenced_code_and_an_unclosed_tail() -> None:
    from oci_interpreter.agent.extract import outside_blocks

    reply = ("Use `unit_cost`.\n```python\nHELP = '''\n```\nsample\n```\n'''\n"
             "x = 1\n```\nThen `run()`.\n```python\ncut = off")
    text = outside_blocks(reply)
    assert "Use `unit_cost`." in text and "Then `run()`." in text
    assert "HELP" not in text and "sample" not in text and "cut" not in text
