"""The chat's decisions (agent/chat.py ``ChatController``) without processes: the model is
the FakeBackend, the kernel is scripted. What the model reads, how the loop runs, what each
slash command changes; and that ui/chat.py, driven the same way, only shows it."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from oci_interpreter.agent.chat import Answer, ChatController, ChatOptions, FixCall
from oci_interpreter.agent.claims import ResultClaims, UnfoundedResult, cites_result
from oci_interpreter.agent.contracts import LoopOptions
from oci_interpreter.agent.events import (
    CodeSkipped,
    Event,
    ExecutionEnd,
    ExecutionStart,
    ModelReply,
    Stopped,
)
from oci_interpreter.agent.prompts import for_family
from oci_interpreter.backend.base import GenerationOptions, GenerationStats
from oci_interpreter.backend.fake import FakeBackend
from oci_interpreter.core.errors import OciError, UsageError
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.ui.chat import ChatApp
from oci_interpreter.ui.console import make_console
from tests.support.readers import ListReader


class ScriptedKernel:
    """What the chat uses of a kernel: results by program (default: it prints ``ok``),
    the programs it ran, its limits and how often it restarted."""

    def __init__(self, workdir: Path, runs: dict[str, ExecResult] | None = None) -> None:
        self.workdir = workdir
        self.limits = Limits(timeout=10)
        self.runs = runs or {}
        self.ran: list[str] = []
        self.restarts = 0

    def execute(self, code: str, *, on_output: object = None) -> ExecResult:
        self.ran.append(code)
        return self.runs.get(code.strip(), ExecResult(0, "ok\n", "", 0.01))

    def restart(self) -> None:
        self.restarts += 1


def code(body: str, plan: str = "Plan.") -> str:
    return f"{plan}\n```python\n{body}\n```"


def controller(tmp_path: Path, backend: FakeBackend, options: ChatOptions | None = None,
               **kwargs: object) -> tuple[ChatController, ScriptedKernel]:
    kernel = ScriptedKernel(tmp_path)
    return ChatController(backend, kernel, options, **kwargs), kernel  # type: ignore[arg-type]


def run(chat: ChatController, request: str,
        answers: list[Answer] | None = None) -> tuple[list[object], list[int]]:
    """One turn; its events, and the rounds ``confirm`` was asked in."""
    queue = list(answers or [])
    asked: list[int] = []

    def confirm(code: str, round_: int) -> Answer:
        asked.append(round_)
        return queue.pop(0) if queue else Answer(True)

    return list(chat.turn(request, confirm)), asked


def stopped(events: list[object]) -> Stopped:
    last = events[-1]
    assert isinstance(last, Stopped)
    return last


# ----------------------------------------------------------------- the turn's policy --


def test_a_turn_runs_with_the_chats_rounds_and_needs_no_code(tmp_path: Path) -> None:
    generation = GenerationOptions(temperature=0.3, seed=7, max_tokens=99)
    options = ChatOptions(rounds=2, loop=LoopOptions(generation=generation, max_rounds=9))
    chat, _ = controller(tmp_path, FakeBackend(["No program needed: it means x is unset."]),
                         options)
    policy = chat.turn_options()
    assert (policy.max_rounds, policy.require_code, policy.generation) == (2, False, generation)
    events, asked = run(chat, "what does NameError mean?")
    # a reply without code is the answer: no second request asking for a program
    assert len(chat.backend.calls) == 1 and asked == []  # type: ignore[attr-defined]
    assert stopped(events).reason == "no_code"
    assert chat.session.turns[0].answer.startswith("No program needed")


def test_the_rounds_of_a_turn_are_capped(tmp_path: Path) -> None:
    failed = ExecResult(1, "", "NameError: name 'totl' is not defined\n", 0.01,
                        error="NameError: name 'totl' is not defined")
    backend = FakeBackend([code(f"print(totl + {i})") for i in range(5)])
    chat, kernel = controller(tmp_path, backend, ChatOptions(rounds=2))
    kernel.runs = {f"print(totl + {i})": failed for i in range(5)}
    events, asked = run(chat, "print the total")
    assert stopped(events).reason == "round_cap"
    assert kernel.ran == ["print(totl + 0)", "print(totl + 1)"] and asked == [1, 2]


def test_options_from_settings_are_the_chats() -> None:
    from oci_interpreter.core.config import Settings

    settings = Settings(chat_rounds=7, temperature=0.5, seed=3, max_tokens=128, rounds=2)
    options = ChatOptions.from_settings(settings, auto_run=True, autosave=None)
    assert (options.rounds, options.auto_run, options.settings) == (7, True, settings)
    # The chat's rounds, the model's generation; one program per failed round, no time
    # limit, whatever rounds, strategy, candidates or agree say (those are run's and fix's).
    assert options.loop == LoopOptions.from_settings(settings, "chat") == LoopOptions(
        max_rounds=7, generation=GenerationOptions(temperature=0.5, seed=3, max_tokens=128))


# ------------------------------------------------------------------ run prompt --


def test_guidance_declines_the_program_and_is_the_next_request(tmp_path: Path) -> None:
    backend = FakeBackend([code("import numpy\nprint(numpy.pi)"),
                           code("import math\nprint(math.pi)"), "Pi."])
    chat, kernel = controller(tmp_path, backend)
    events, _ = run(chat, "print pi", [Answer(False, guidance="use math, not numpy")])
    skipped = [e for e in events if isinstance(e, CodeSkipped)]
    assert stopped(events).reason == "refused" and kernel.ran == []
    assert skipped[0].message.endswith("The user says: use math, not numpy")
    assert chat.guidance == "use math, not numpy"  # the view holds the status line for it

    assert chat.follow_up() == "use math, not numpy"
    assert chat.guidance is None and chat.follow_up() is None  # once
    # the model reads that nothing ran, then the user's words as the request
    events, _ = run(chat, "use math, not numpy")
    assert backend.calls[1][-1].content == (for_family("auto").refused.format(why="")
                                            + "\n\nuse math, not numpy")
    assert kernel.ran == ["import math\nprint(math.pi)"]
    assert [t.request for t in chat.session.turns] == ["print pi", "use math, not numpy"]


def test_without_guidance_nothing_follows_and_the_refusal_is_kept(tmp_path: Path) -> None:
    chat, _ = controller(tmp_path, FakeBackend([code("print(1)")]))
    events, _ = run(chat, "one", [Answer(False)])
    assert stopped(events).reason == "refused"
    assert chat.follow_up() is None
    assert chat.session.pending == for_family("auto").refused.format(why="")


def test_always_runs_the_rest_without_asking(tmp_path: Path) -> None:
    backend = FakeBackend([code("print(1)"), "One.", code("print(2)"), "Two."])
    chat, kernel = controller(tmp_path, backend)
    _, asked = run(chat, "one", [Answer(True, always=True)])
    assert chat.auto and asked == [1]
    _, asked = run(chat, "two")
    assert asked == [] and kernel.ran == ["print(1)", "print(2)"]
    assert chat.toggle_auto() is False and not chat.auto


def test_auto_run_from_the_options_never_asks(tmp_path: Path) -> None:
    chat, kernel = controller(tmp_path, FakeBackend([code("print(1)"), "One."]),
                              ChatOptions(auto_run=True))
    _, asked = run(chat, "one")
    assert asked == [] and kernel.ran == ["print(1)"]


def test_an_edited_program_runs_instead(tmp_path: Path) -> None:
    chat, kernel = controller(tmp_path, FakeBackend([code("print(6 * 7)"), "Done."]))
    run(chat, "multiply", [Answer(True, code="print(6 * 8)")])
    assert kernel.ran == ["print(6 * 8)"]
    assert chat.session.turns[0].code == ["print(6 * 8)"]


# ------------------------------------------------- a result cited, nothing ran --


def test_cites_result_words() -> None:
    assert cites_result("The execution result confirms the sum is 385.")
    assert cites_result("As shown in the output, it works.")
    assert not cites_result("The sum of the squares of 1..10 is 385.")


def test_result_claims_follow_the_events() -> None:
    stats = GenerationStats()
    claims = ResultClaims()
    claims.see(ModelReply("The output shows 3.", stats, 1))
    assert claims.unfounded
    claims.see(ExecutionStart("print(3)", 1))
    assert not claims.unfounded
    quiet = ResultClaims()
    quiet.see(ModelReply("It is 3.", stats, 1))
    assert not quiet.unfounded


def test_a_turn_citing_a_result_when_nothing_ran_says_so_before_it_stops(
        tmp_path: Path) -> None:
    chat, _ = controller(tmp_path, FakeBackend(["The execution result confirms 385."]))
    events, _ = run(chat, "sum of squares")
    assert [type(e) for e in events[-2:]] == [UnfoundedResult, Stopped]
    assert sum(isinstance(e, UnfoundedResult) for e in events) == 1


def test_a_turn_whose_program_ran_may_cite_its_result(tmp_path: Path) -> None:
    backend = FakeBackend([code("print(385)"), "The output shows 385."])
    chat, kernel = controller(tmp_path, backend)
    events, _ = run(chat, "sum of squares")
    assert kernel.ran == ["print(385)"]
    assert not any(isinstance(e, UnfoundedResult) for e in events)
    assert any(isinstance(e, ExecutionEnd) for e in events)


# --------------------------------------------------------------- slash commands --


def test_limits_are_parsed_set_and_restart_the_kernel(tmp_path: Path) -> None:
    chat, kernel = controller(tmp_path, FakeBackend())
    limits = chat.set_limits("timeout=3 memory=256M max-processes=8")
    assert kernel.limits is limits and kernel.restarts == 1
    assert (limits.timeout, limits.memory, limits.processes) == (3, 256 * 2**20, 8)


@pytest.mark.parametrize(("arg", "says"), [
    ("bogus=1", "expected KEY=VALUE with KEY one of timeout"),
    ("timeout", "expected KEY=VALUE"),
    ("timeout=3 memory=lots", "not a size"),
])
def test_bad_limits_change_nothing(tmp_path: Path, arg: str, says: str) -> None:
    chat, kernel = controller(tmp_path, FakeBackend())
    before = kernel.limits
    with pytest.raises(OciError, match=says):
        chat.set_limits(arg)
    assert kernel.limits is before and kernel.restarts == 0


def test_model_switch_takes_the_new_models_prompts_and_keeps_the_conversation(
        tmp_path: Path) -> None:
    old = FakeBackend(["Hi."])
    other = FakeBackend(["From the other model."])
    other.info = replace(other.info, name="other", family="deepseek-coder")
    chat, _ = controller(tmp_path, old, load_model=lambda name: other)
    run(chat, "hello")
    assert chat.switch_model("ds") is other
    assert chat.backend is other and old.closed and not other.closed
    assert chat.prompts == for_family("deepseek-coder") and chat.session.model == "other"
    run(chat, "again")
    assert [m.content for m in other.calls[0][1:]] == ["hello", "Hi.", "again"]
    assert other.calls[0][0].content == (for_family("deepseek-coder").chat_system
                                         or for_family("deepseek-coder").system)


def test_a_model_that_does_not_load_changes_nothing(tmp_path: Path) -> None:
    def fails(name: str) -> FakeBackend:
        raise UsageError(f"no model {name}")

    backend = FakeBackend()
    chat, _ = controller(tmp_path, backend, load_model=fails)
    with pytest.raises(UsageError, match="no model nope"):
        chat.switch_model("nope")
    assert chat.backend is backend and not backend.closed
    bare, _ = controller(tmp_path, FakeBackend())
    with pytest.raises(UsageError, match="not available"):
        bare.switch_model("x")


def test_programs_the_user_runs_are_read_by_the_model_next(tmp_path: Path) -> None:
    backend = FakeBackend([code("n = 5\nprint(n * n)"), "25.", "Noted."])
    chat, kernel = controller(tmp_path, backend)
    run(chat, "square")
    prompts = chat.prompts
    last = chat.session.last_code()
    assert last == "n = 5\nprint(n * n)"
    chat.run_by_user(last, edited=False)
    assert chat.session.pending.startswith(prompts.user_reran + "\nExecution result:\nok")
    chat.run_by_user("print(n)", edited=True)
    assert prompts.user_edited.format(code="print(n)") in chat.session.pending
    assert kernel.ran[1:] == [last, "print(n)"]
    assert chat.session.turns[-1].code == [last, last, "print(n)"]
    run(chat, "and?")
    assert backend.calls[-1][-1].content.startswith(prompts.user_reran)
    assert backend.calls[-1][-1].content.endswith("and?")


def test_reset_and_undo(tmp_path: Path) -> None:
    chat, kernel = controller(tmp_path, FakeBackend(["A.", "B."]))
    run(chat, "a")
    run(chat, "b")
    turn = chat.undo()
    assert turn is not None and turn.request == "b" and len(chat.session.turns) == 1
    chat.reset()
    assert chat.session.turns == [] and chat.session.messages == [] and kernel.restarts == 1
    assert chat.undo() is None


def test_autosave_failure_is_said_once_and_saving_stops(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    options = ChatOptions(autosave=tmp_path / "file" / "s.json")  # under a file: fails
    chat, _ = controller(tmp_path, FakeBackend(["A."]), options)
    assert chat.autosave() is None  # nothing to save yet
    run(chat, "a")
    said = chat.autosave()
    assert said is not None and said.startswith("could not save the session to")
    assert options.autosave is None and chat.autosave() is None
    good = ChatOptions(autosave=tmp_path / "ok.json")
    chat2, _ = controller(tmp_path, FakeBackend(["A."]), good)
    run(chat2, "a")
    assert chat2.autosave() is None and (tmp_path / "ok.json").is_file()


@pytest.mark.parametrize(("arg", "call"), [
    ("t.py", ("t.py", "t.py", None, True)),
    ("--no-backup t.py", ("t.py", "t.py", None, False)),
    ("sub/t.py the total should include the tax",
     ("sub/t.py", "sub/t.py", "the total should include the tax", True)),
    ("t.py --no-backup", ("t.py", "t.py", None, False)),
    ("t.py adds --no-backup", ("t.py", "t.py", "adds --no-backup", True)),  # a description
])
def test_fix_reads_its_words_as_oci_fix_does(tmp_path: Path, arg: str,
                                            call: tuple[str, str, str | None, bool]) -> None:
    chat, _ = controller(tmp_path, FakeBackend())
    name, relative, description, backup = call
    assert chat.fix_call(arg) == FixCall(name, tmp_path / relative, description, backup)
    assert chat.fix_call("") is None and chat.fix_call("--no-backup") is None
    assert chat.fix_call("/abs/x.py").path == Path("/abs/x.py")  # type: ignore[union-attr]


def test_fix_drives_fix_job_run_with_the_chats_model_and_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.agent import fix

    seen: dict[str, object] = {}

    class Job:
        def __init__(self, path: Path, args: list[str], settings: object, *,
                     label: str) -> None:
            seen.update(path=path, args=args, settings=settings, label=label)

        def run(self, model: object, **kwargs: object) -> str:
            seen.update(model=model, **kwargs)
            return "events"

    monkeypatch.setattr(fix, "FixJob", Job)
    backend = FakeBackend()
    chat, _ = controller(tmp_path, backend)
    call = chat.fix_call("--no-backup t.py it should add the tax")
    assert call is not None

    def check(text: str) -> bool:
        return True

    def write(outcome: object) -> bool:
        return False

    assert chat.fix(call, accept_check=check, accept_write=write) == "events"
    assert seen == {"path": tmp_path / "t.py", "args": [], "settings": chat.options.settings,
                    "label": "t.py", "model": backend,
                    "description": "it should add the tax", "accept_check": check,
                    "accept_write": write, "backup": False, "on_output": None}


def test_fix_of_a_missing_file_is_refused_before_anything_runs(tmp_path: Path) -> None:
    backend = FakeBackend()
    chat, kernel = controller(tmp_path, backend)
    call = chat.fix_call("nope.py")
    assert call is not None
    with pytest.raises(OciError):
        chat.fix(call, accept_check=lambda c: True, accept_write=lambda o: False)
    assert backend.calls == [] and kernel.ran == []


# -------------------------------------------------- the REPL only shows it --


def chat_app(tmp_path: Path, backend: FakeBackend,
             lines: list[str]) -> tuple[str, ChatApp, ScriptedKernel]:
    out = io.StringIO()
    console = make_console(file=out)
    console.width = 100
    kernel = ScriptedKernel(tmp_path)
    app = ChatApp(backend, kernel, console, ListReader(lines))  # type: ignore[arg-type]
    assert app.interact() == 0
    return out.getvalue(), app, kernel


def test_the_repl_runs_typed_guidance_at_once_and_shows_each_step(tmp_path: Path) -> None:
    backend = FakeBackend([code("import numpy\nprint(numpy.pi)", "Here."),
                           code("import math\nprint(math.pi)", "Another."), "Pi is 3.14."])
    text, app, kernel = chat_app(tmp_path, backend,
                                 ["print pi", "use math, not numpy", "y", "/exit"])
    assert kernel.ran == ["import math\nprint(math.pi)"]
    assert [t.request for t in app.session.turns] == ["print pi", "use math, not numpy"]
    after = text.split("not run; your words go to the model", 1)[1]
    assert next(line for line in after.splitlines() if line.strip()).strip() == "Another."
    assert "exit code 0" in text and "Pi is 3.14." in text and text.count("tok/s") == 1


def test_the_repl_says_when_a_reply_cites_a_result_nothing_produced(tmp_path: Path) -> None:
    text, _, _ = chat_app(tmp_path, FakeBackend(["The execution result confirms 385."]),
                          ["sum of squares", "/exit"])
    flat = " ".join(text.split())
    assert "(no program ran in this turn: the result the reply speaks of does not exist)" in flat
    assert flat.index("does not exist") < flat.index("tokens")  # before the status line


def test_the_repl_limits_and_model_commands_go_through_the_controller(tmp_path: Path) -> None:
    other = FakeBackend(["From the other model."])
    out = io.StringIO()
    console = make_console(file=out)
    console.width = 100
    kernel = ScriptedKernel(tmp_path)
    loads: list[str] = []

    def load(name: str) -> FakeBackend:
        loads.append(name)
        return other

    app = ChatApp(FakeBackend(), kernel, console,  # type: ignore[arg-type]
                  ListReader(["/limits timeout=3", "/limits bogus=1", "/model other", "hi",
                              "/auto", "/exit"]), load_model=load)
    assert app.interact() == 0
    text = out.getvalue()
    assert kernel.limits.timeout == 3 and kernel.restarts == 1
    assert "limits changed; the kernel restarted" in text and "expected KEY=VALUE" in text
    assert loads == ["other"] and app.backend is other and "From the other model." in text
    assert "programs run without asking" in text and app.auto


def test_events_of_a_turn_are_the_loops_and_the_turn_is_recorded_when_closed(
        tmp_path: Path) -> None:
    chat, _ = controller(tmp_path, FakeBackend(["one two three four"]))
    events = chat.turn("talk", lambda code, round_: Answer(True))
    first: Event | UnfoundedResult = next(events)
    assert first.kind == "model_start"
    events.close()  # as the REPL does on Ctrl-C: the turn is recorded all the same
    assert [t.request for t in chat.session.turns] == ["talk"]
    assert chat.session.turns[0].stop_reason == "cancelled"


def test_the_markdown_export_keeps_what_oci_told_the_model_in_words() -> None:
    """Issue 37: an interrupted run's output and a note after a declined program reach the
    model with the next message; the export shows them, and says how a turn ended in words."""
    from oci_interpreter.agent.session import ChatSession, Turn
    from oci_interpreter.backend.base import Message

    session = ChatSession(model="m", messages=[
        Message("user", "sum 1..3"), Message("assistant", "```python\nprint(6)\n```"),
        Message("user", "Output so far: 6 (the run was interrupted)\n\nand the squares?"),
        Message("assistant", "```python\nprint(14)\n```"),
    ], turns=[Turn("sum 1..3", 0, stop_reason="cancelled"),
              Turn("and the squares?", 2, stop_reason="no_code")],
        pending="The user did not run the program, so there is no execution result.")
    text = session.to_markdown()
    assert "Output so far: 6 (the run was interrupted)" in text
    assert "*(the turn ended: interrupted)*" in text
    assert "*(the turn ended: the model replied without code to run)*" in text
    assert "no_code" not in text and "cancelled" not in text
    assert text.rstrip().endswith("The user did not run the program, so there is no "
                                  "execution result.\n```")
    assert "oci, to the model with your next message" in text


def test_a_message_with_examples_checks_them_after_each_program(tmp_path: Path) -> None:
    """Issue 38: the chat checks the examples a message states, as `oci run` does."""
    backend = FakeBackend([code("def sq(x):\n    return x * x\nprint(sq(3))"), "It is 9.",
                           code("print(sq(5))"), "25."])
    chat, kernel = controller(tmp_path, backend, ChatOptions(auto_run=True))
    run(chat, "write sq(x); sq(3) -> 9 and sq(4) -> 16")
    assert chat.examples == 2
    cell = kernel.ran[0]
    assert cell.startswith("def sq(x):") and "# --- the examples in your task" in cell
    assert "('sq(3)', lambda: sq(3), 9)" in cell
    run(chat, "now print sq(5)")  # a message without examples: no checks
    assert chat.examples == 0 and kernel.ran[-1] == "print(sq(5))"
