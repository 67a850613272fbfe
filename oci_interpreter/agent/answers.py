"""Is a clean run of `oci run` an answer? Not when its output is a hidden error's fallback,
a number written into the program, or a report of a failure the program caught (a missing
module, no network, a missing file, its own "Error:" line), and not when it did not make
the file the task asks for. agent/execute.py's ``ProgramExecutor.judge`` asks these;
a refused run is a failed round. Standard library only; pure functions of the program,
its output and the lines it ran.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from oci_interpreter.agent.codeinfo import call_name, is_literal, parse_module
from oci_interpreter.agent.verify import Rejection, quiet_handler


def _prints(tree: ast.Module) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and call_name(n) == "print"]


def _constant_text(node: ast.expr) -> bool:
    """A value written out in the program: a literal, or an f-string of literals only."""
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    return is_literal(node)


_NUMBER = re.compile(r"-?\d[\d_,]*(\.\d+)?([eE][-+]?\d+)?")


def answer_checks(code: str, stdout: str, lines_run: tuple[int, ...] | None) -> Rejection | None:
    """An answer must come from a program that computed it: not a fallback printed by a
    broad ``except`` that hid an error, not a number the model wrote into ``print``."""
    tree = parse_module(code)
    if tree is None:
        return None
    ran = set(lines_run or ())
    if lines_run is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Try):
                for handler in node.handlers:
                    if quiet_handler(handler) and handler.body and (
                            handler.body[0].lineno in ran):
                        return Rejection(
                            "fallback",
                            f"an error was caught by the broad `except` at line "
                            f"{handler.lineno} and hidden; the output is its fallback, not "
                            "the answer. Let the error show and fix its cause")
    prints = _prints(tree)
    computes = any(isinstance(n, (ast.For, ast.While, ast.ListComp, ast.GeneratorExp,
                                  ast.SetComp, ast.DictComp, ast.BinOp, ast.FunctionDef))
                   for n in ast.walk(tree))
    calls_other = any(isinstance(n, ast.Call) and call_name(n) != "print"
                      for n in ast.walk(tree))
    if prints and not computes and not calls_other and all(
            _constant_text(arg) for call in prints for arg in call.args):
        values = [line.strip() for line in stdout.splitlines() if line.strip()]
        if values and any(_NUMBER.search(v) for v in values):
            return Rejection(
                "constant_answer",
                "the program prints a number written into it instead of computing it; "
                "write the computation in the program and print its result")
    return None


# A line of output that reports a failure instead of a result: a missing module, no
# network, a file that is not there or not readable, an error message the program wrote.
_REPORTS = (
    ("module", re.compile(r"\bno module named '?(?P<name>[\w.]+)|['`\"]?(?P<name2>[\w.]+)['`\"]? "
                          r"(?:module |package |library )?is not installed|please install "
                          r"['`\"]?(?P<name3>[\w.-]+)|pip install ['`\"]?(?P<name4>[\w.-]+)",
                          re.IGNORECASE)),
    ("network", re.compile(r"urlopen error|temporary failure in name resolution|name or service "
                           r"not known|network is unreachable|connection refused|failed to "
                           r"establish|network (?:is |was )?(?:off|down|disabled|unavailable|"
                           r"not available)|(?:turn|switch) (?:the )?network on|no network|"
                           r"(?:no|without) (?:an )?internet|internet (?:access|connection) "
                           r"(?:is )?(?:required|needed|unavailable|not available)|offline|"
                           r"please (?:enable|turn on|connect)|"
                           r"establish a new connection|nodename nor servname|getaddrinfo failed|"
                           r"max retries exceeded|no internet|could not connect|unable to connect"
                           r"|failed to (?:fetch|download)", re.IGNORECASE)),
    ("file", re.compile(r"no such file or directory|\bnot found\b|permission denied|"
                        r"could not (?:be )?(?:find|found|open|opened|read|load)|unable to "
                        r"(?:find|open|read|load)|failed to (?:open|read|load)|does not exist",
                        re.IGNORECASE)),
    ("error", re.compile(r"^\W*(?:error|exception|failed|failure)\b\s*[:!-]|"
                         r"traceback \(most recent call last\)|\b\w+Error: ", re.IGNORECASE)),
)
_ERROR_TYPES = {"ImportError", "ModuleNotFoundError", "OSError", "IOError", "EnvironmentError",
                "FileNotFoundError", "PermissionError", "IsADirectoryError", "ConnectionError",
                "URLError", "HTTPError", "RequestException", "TimeoutError", "timeout",
                "gaierror", "socket.gaierror", "herror", "SSLError", "Exception", "BaseException",
                "error", "ConnectionRefusedError", "ConnectionResetError", "HTTPException"}


def _handler_types(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return {"BaseException"}
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {call_name(n).rsplit(".", 1)[-1] for n in nodes} | {call_name(n) for n in nodes}


def _strings(tree: ast.Module) -> list[str]:
    return [n.value.lower() for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)]


@dataclass(frozen=True)
class Report:
    """A failure the program reported instead of doing the task."""

    kind: str
    """``module``, ``network``, ``file`` or ``error``."""
    line: str
    """The output line that reports it."""
    module: str = ""
    """The module that is missing (``kind == "module"``)."""


def error_report(code: str, stdout: str, lines_run: tuple[int, ...] | None,
                 task: str = "") -> Report | None:
    """The output reports a failure the program caught or expected, instead of a result:
    a line of it says a module is not installed, the network is unreachable, a file is
    missing or unreadable, or starts with ``Error:``, and the program produced it (an
    ``except`` of such an error ran, or the words are in the program's own strings).
    Words the task itself uses (``count the lines with "Error:"``) do not count."""
    tree = parse_module(code)
    if tree is None or not stdout.strip():
        return None
    ran = set(lines_run or ())
    caught = lines_run is not None and any(
        isinstance(node, ast.ExceptHandler) and node.body and node.body[0].lineno in ran
        and _handler_types(node) & _ERROR_TYPES for node in ast.walk(tree))
    strings = _strings(tree)
    wanted = task.lower()
    for line in stdout.splitlines():
        for kind, pattern in _REPORTS:
            match = pattern.search(line)
            if match is None or match.group(0).lower() in wanted:
                continue
            words = match.group(0).lower().strip(" :!-")
            if not caught and not any(words[:12] in text for text in strings):
                continue
            module = ""
            if kind == "module":
                module = next((g for g in match.groups() if g), "").split(".")[0]
            return Report(kind, line.strip(), module)
    return None


_WRITE_VERB = re.compile(
    r"\b(?:save|saves|saving|saved|write|writes|writing|create|creates|export|exports|store|"
    r"output|outputs|generate|generates|produce|produces|plot|draw|dump|render)\b"
    r"(?P<rest>(?:[^.;!?\n]|\.(?=\w)){0,120})", re.IGNORECASE)
_FILE_NAME = re.compile(r"(?<![\w/.-])(?P<name>[\w][\w.-]*\.(?:png|jpe?g|gif|svg|pdf|csv|tsv|"
                        r"json|jsonl|txt|html?|xlsx?|md|xml|ya?ml|parquet|npy|wav|zip|log|ppm))\b",
                        re.IGNORECASE)


def named_outputs(task: str, workdir: Path | None = None) -> tuple[str, ...]:
    """The files the task asks the program to make (``save a bar chart ... to
    regions.png``): names after a verb of writing that are not in ``workdir`` yet."""
    names: list[str] = []
    for verb in _WRITE_VERB.finditer(task):
        for match in _FILE_NAME.finditer(verb.group("rest")):
            name = match.group("name")
            if name not in names and (workdir is None or not (workdir / name).exists()):
                names.append(name)
    return tuple(names)
