"""What the model reads about a run: the paper's ``Execution result:`` text.

The output is cut head-and-tail to a budget, tracebacks keep the program's own
frames (library frames are summarised, the ``^^^^`` markers dropped), a silent
success gets a hint to print, and a limit is named with its value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oci_interpreter.agent.hints import hint
from oci_interpreter.agent.prompts import DEFAULT, PromptSet
from oci_interpreter.sandbox.limits import ExecResult

_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line \d+')
_CARETS = re.compile(r"^\s*[\^~]+\s*$")



def cut_middle(text: str, budget: int, prompts: PromptSet = DEFAULT) -> str:
    """``text`` within ``budget`` characters: its head and tail with a marker between."""
    if len(text) <= budget:
        return text
    keep = max(budget - len(prompts.cut) - 8, 0)
    head = keep * 2 // 3
    tail = keep - head
    cut = len(text) - head - tail
    return text[:head] + prompts.cut.format(n=cut) + (text[-tail:] if tail else "")


def trim_traceback(stderr: str, program_files: tuple[str, ...] = (),
                   prompts: PromptSet = DEFAULT) -> str:
    """Keep what helps fix the program: its own frames and the error, not library internals.

    A frame counts as the program's when its file is one of ``program_files`` (or,
    without them, when the path is not absolute: sandboxed code runs as ``main.py``).
    Runs of other frames collapse to one line saying how many were left out.
    """
    lines = stderr.rstrip("\n").split("\n")
    out: list[str] = []
    skipped = 0
    in_foreign_frame = False

    def own(path: str) -> bool:
        if program_files:
            return path in program_files or any(path.endswith("/" + p) for p in program_files)
        return not path.startswith("/") and not path.startswith("<frozen")

    def flush() -> None:
        nonlocal skipped
        if skipped:
            out.append(prompts.library_frames.format(n=skipped) if skipped > 1
                       else prompts.library_frame)
            skipped = 0

    for line in lines:
        if _CARETS.match(line):
            continue
        match = _FRAME.match(line)
        if match:
            in_foreign_frame = not own(match.group("file"))
            if in_foreign_frame:
                skipped += 1
                continue
            flush()
            out.append(line)
            continue
        if line.startswith("    ") and in_foreign_frame:
            continue  # the source line of a library frame
        if not line.startswith("  "):
            in_foreign_frame = False
            flush()
        out.append(line)
    flush()
    return "\n".join(out)


@dataclass(frozen=True)
class Feedback:
    """A run's result as the model reads it, and how the run went."""

    text: str
    status: str
    """``ok`` (ran cleanly), ``silent`` (ran cleanly, printed and saved nothing), ``failed``."""
    reason: str = ""
    """One line: why it failed (empty when it did not)."""

    @property
    def clean(self) -> bool:
        return self.status != "failed"


_NETWORK_ERROR = re.compile(
    r"NameResolutionError|gaierror|Temporary failure in name resolution|Name or service not "
    r"known|Network is unreachable|No route to host|getaddrinfo failed|URLError|"
    r"ConnectionError|ConnectTimeout|Failed to establish a new connection|"
    r"nodename nor servname")


def needed_network(result: ExecResult) -> bool:
    """The program failed reaching the network, in a sandbox whose network is off."""
    return result.network == "off" and bool(
        _NETWORK_ERROR.search(result.stderr) or _NETWORK_ERROR.search(result.stdout))


def failure_reason(result: ExecResult, prompts: PromptSet | None = None) -> str:
    """One line for the model and the user: which limit or exception stopped the run."""
    prompts = prompts or DEFAULT
    if result.limit is not None:
        advice = prompts.limit_advice.get(result.limit, "")
        return f"{result.describe()}. {advice}".strip()
    if result.interrupted:
        return prompts.interrupted
    if result.error:
        return prompts.raised.format(error=result.error)
    if result.exit_code < 0:
        return result.describe()
    if result.exit_code != 0:
        return prompts.exited.format(code=result.exit_code)
    return ""


def format_result(result: ExecResult, prompts: PromptSet, *, budget: int = 2000,
                  program_files: tuple[str, ...] = ("main.py",),
                  rename: dict[str, str] | None = None, code: str | None = None) -> Feedback:
    """The ``Execution result:`` message for ``result``, within ``budget`` characters.

    ``rename`` replaces paths in the output (e.g. a temporary copy's name with the
    name of the file the user knows). With ``code``, a failure gets a one-sentence hint
    on what the error means (agent/hints.py).
    """
    stdout, stderr = result.stdout, result.stderr
    for old, new in (rename or {}).items():
        stdout, stderr = stdout.replace(old, new), stderr.replace(old, new)
    clean = result.ok
    reason = "" if clean else failure_reason(result, prompts)
    stderr = trim_traceback(stderr, program_files, prompts) if stderr.strip() else ""
    # The error matters more than the output before it: it gets up to half the budget.
    err_budget = min(len(stderr), budget // 2) if stdout.strip() else budget
    out_budget = max(budget - err_budget, 200)
    parts = []
    if stdout.strip():
        parts.append(cut_middle(stdout.rstrip("\n"), out_budget, prompts))
    if stderr:
        parts.append(cut_middle(stderr, err_budget, prompts))
    if result.stdin_read:
        parts.append(prompts.read_stdin)
    if result.plots:
        names = ", ".join(p.rsplit("/", 1)[-1] for p in result.plots)
        parts.append(prompts.saved_figures.format(names=names))
    elif result.files:
        names = ", ".join(p.rsplit("/", 1)[-1] for p in result.files[:10])
        parts.append(prompts.created_files.format(names=names))
    if result.refused:
        items = []
        for line in result.refused[:5]:
            path, _, why = line.partition(": ")
            items.append(f"{path.rsplit('/', 1)[-1]} ({why.split(':')[0]})")
        more = len(result.refused) - len(items)
        parts.append(prompts.refused_changes.format(
            items="; ".join(items) + (prompts.more_items.format(n=more) if more > 0 else "")))
    if not clean and (result.limit is not None or not stderr):
        parts.append(prompts.failure_note.format(reason=reason))
    if needed_network(result):
        parts.append(prompts.network_off)
    elif not clean and code is not None and result.limit is None:
        advice = hint(stderr, code)
        if advice:
            parts.append(prompts.hint.format(advice=advice))
    if clean and not parts:
        return Feedback(prompts.feedback.format(output=prompts.no_output), "silent",
                        "it printed nothing")
    body = "\n".join(parts)
    return Feedback(prompts.feedback.format(output=body), "ok" if clean else "failed", reason)
