"""The CLI's Environment and exit statuses (issue 35 item 5): a command reads its streams,
terminal flags, settings and model loader from the Environment it is given, and returns
an ExitStatus; nothing else in cli/ or ui/ asks a stream whether it is a terminal."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from oci_interpreter.agent.events import Stopped, StopReason
from oci_interpreter.agent.solve import RunOutcome
from oci_interpreter.backend.base import Message
from oci_interpreter.backend.fake import FakeBackend
from oci_interpreter.cli.environment import Environment, is_data, is_terminal, json_text
from oci_interpreter.cli.exec_cmd import exit_status
from oci_interpreter.cli.main import main_with_status
from oci_interpreter.core.errors import ExitStatus
from oci_interpreter.sandbox.limits import ExecResult

PACKAGE = Path(__file__).resolve().parents[1] / "oci_interpreter"


class World:
    """An Environment on in-memory streams, and what the command wrote to them."""

    def __init__(self, stdin: str = "", *, terminal: bool = False,
                 environ: dict[str, str] | None = None, **kwargs: Any) -> None:
        self.stdout, self.stderr = io.StringIO(), io.StringIO()
        self.env = Environment(stdin=io.StringIO(stdin), stdout=self.stdout,
                               stderr=self.stderr, stdin_isatty=terminal,
                               stdout_isatty=terminal, stderr_isatty=terminal,
                               environ=environ if environ is not None else {}, **kwargs)

    def run(self, *args: str) -> int:
        return main_with_status(list(args), env=self.env)

    @property
    def out(self) -> str:
        return self.stdout.getvalue()

    @property
    def err(self) -> str:
        return self.stderr.getvalue()


def test_the_settings_come_from_the_environment_given() -> None:
    world = World(environ={"OCI_SEED": "5"})
    assert world.run("config", "show", "--json") == ExitStatus.OK
    data = json.loads(world.out)
    assert data["settings"]["seed"] == {"value": 5, "source": "environment (OCI_SEED)"}
    assert world.err == ""


def test_the_terminal_flags_come_from_the_environment_not_the_process() -> None:
    # stdin says it is a terminal (it is a StringIO): `oci run -` must refuse to read it.
    world = World("print the date", terminal=True)
    assert world.run("run", "-") == ExitStatus.USAGE
    assert world.out == ""
    assert "stdin is a terminal" in world.err
    assert world.err.count("\n") == 1


def test_without_a_command_and_without_a_terminal_there_is_no_chat() -> None:
    loaded: list[Any] = []
    world = World(load_backend=lambda settings, progress: loaded.append(settings))
    assert world.run() == ExitStatus.OK  # the help (Typer prints it), not a chat
    assert loaded == []


def test_errors_go_to_the_environments_stderr_as_one_line() -> None:
    world = World()
    assert world.run("run", "--rounds", "zero", "task") == ExitStatus.USAGE
    assert world.out == ""
    assert world.err.startswith("oci:") and world.err.count("\n") == 1


def test_the_model_loader_is_the_environments(tmp_path: Path) -> None:
    loaded: list[Any] = []

    def load(settings: Any, progress: Any) -> FakeBackend:
        loaded.append(settings)
        return FakeBackend(["The answer is 4."])

    world = World(load_backend=load, environ={"OCI_SANDBOX": "none"})
    backend = world.env.load_model(world.env.settings({"model": "my-model"}))
    assert loaded[0].model == "my-model"
    assert backend.chat([Message("user", "2+2?")]).text() == "The answer is 4."


def test_one_json_printer_keeps_stdout_valid_utf8() -> None:
    world = World()
    world.env.print_json({"file": "caf\udcff.txt", "name": "café"})
    line = world.out
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == {"file": "caf\\xff.txt", "name": "café"}
    line.encode("utf-8")  # no lone surrogate reached the stream
    assert json_text({"name": "café"}, ascii_only=True) == '{"name": "caf\\u00e9"}'


def test_stream_questions_are_answered_without_a_real_stream() -> None:
    assert not is_terminal(io.StringIO())
    assert not is_terminal(object())
    closed = io.StringIO()
    closed.close()
    assert not is_terminal(closed)
    assert not is_data(io.StringIO("not a file"))


def _stopped(success: bool, reason: StopReason) -> Stopped:
    return Stopped(success=success, reason=reason, message="", rounds=1, final_code="",
                   final_output="", answer="")


@pytest.mark.parametrize(("success", "reason", "status"), [
    (True, "solved", ExitStatus.OK),
    (False, "round_cap", ExitStatus.NOT_SOLVED),
    (False, "cancelled", ExitStatus.INTERRUPTED),
])
def test_oci_run_returns_its_status_as_a_value(success: bool, reason: StopReason,
                                               status: ExitStatus) -> None:
    outcome = RunOutcome(task="t", model="m", stopped=_stopped(success, reason))
    assert outcome.exit_status == status
    assert int(ExitStatus.NOT_SOLVED) == 1 and int(ExitStatus.NOT_FIXED) == 1


@pytest.mark.parametrize(("code", "interrupted", "status"), [
    (0, False, 0), (3, False, 3), (-9, False, 137), (-24, False, 152), (300, False, 44),
    (-2, True, 130),
])
def test_oci_exec_returns_the_programs_status_as_the_shell_shows_it(
        code: int, interrupted: bool, status: int) -> None:
    result = ExecResult(exit_code=code, stdout="", stderr="", duration_s=0.0,
                        interrupted=interrupted)
    assert exit_status(result) == status


def test_no_command_raises_systemexit_or_asks_a_stream_if_it_is_a_terminal() -> None:
    """The one place: cli/environment.py asks, cli/main.py maps exceptions to statuses."""
    asks = re.compile(r"\.isatty\(|\bsys\.(stdin|stdout|stderr)\b")
    exits = re.compile(r"raise SystemExit|sys\.exit\(")
    offenders = []
    for path in sorted((PACKAGE / "cli").glob("*.py")) + sorted((PACKAGE / "ui").glob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        previous = ""
        for number, line in enumerate(path.read_text().splitlines(), 1):
            previous = line if line.startswith("def ") else previous
            if "def entry" in previous:  # the console script: the process's own streams
                continue
            code = line.split("#", 1)[0]
            # readers.LineReader defaults to sys.stdin.readline (the chat passes env's).
            if name not in ("cli/environment.py", "ui/readers.py") and asks.search(code):
                offenders.append(f"{name}:{number}: {line.strip()}")
            if exits.search(code):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []
