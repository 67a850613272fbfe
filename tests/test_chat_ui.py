"""`oci chat` in process: the scripted model, a real kernel, scripted input.

The transcripts are what a user sees (Rich rendered into a string, 100 columns)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from oci_interpreter.agent.session import ChatSession
from oci_interpreter.backend.fake import FakeBackend
from oci_interpreter.sandbox.kernel import Kernel
from oci_interpreter.sandbox.limits import Limits
from oci_interpreter.ui.chat import HELP, ChatApp, ChatOptions
from oci_interpreter.ui.console import make_console, sanitize
from oci_interpreter.ui.readers import TerminalReader
from tests.support.readers import ListReader


def code(body: str, plan: str = "Plan.") -> str:
    return f"{plan}\n```python\n{body}\n```"


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Kernel]:
    k = Kernel(tmp_path, Limits(timeout=10))
    yield k
    k.shutdown()


def chat(backend: FakeBackend, kernel: Kernel, lines: list[str], *,
         options: ChatOptions | None = None, session: ChatSession | None = None,
         load_model=None) -> tuple[int, str, ChatApp]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    console = make_console(file=out)
    console.width = 100
    app = ChatApp(backend, kernel, console, ListReader(lines), options or ChatOptions(),
                  session=session, load_model=load_model)
    status = app.interact()
    return status, out.getvalue(), app


@pytest.mark.spawns
def test_task_confirm_run_and_answer(kernel: Kernel) -> None:
    backend = FakeBackend([code("print(sum(range(101)))"), "The sum is 5050."])
    status, text, app = chat(backend, kernel, ["add 1..100", "y", "/exit"])
    assert status == 0
    assert "print(sum(range(101)))" in text      # the reply, rendered as Markdown
    assert "5050" in text and "exit code 0" in text    # the run's panel
    assert "The sum is 5050." in text
    assert "tok/s" in text and "context" in text and "KV cache reused" in text
    assert [t.stop_reason for t in app.session.turns] == ["done"]
    # the model read the execution result in the paper's format
    assert backend.calls[1][-1].content.startswith("Execution result:\n5050")


@pytest.mark.spawns
def test_variables_survive_between_turns(kernel: Kernel) -> None:
    backend = FakeBackend([code("data = [3, 1, 2]\nprint(len(data))"), "Three items.",
                           code("print(sorted(data))"), "Sorted."])
    _, text, app = chat(backend, kernel, ["make data", "y", "sort it", "", "/exit"])
    assert "[1, 2, 3]" in text
    # the second request comes after the whole first exchange, system prompt first
    second = backend.calls[2]
    assert second[0].role == "system" and "keeps the variables" in second[0].content
    assert second[-1].content == "sort it"
    assert [m.role for m in second[1:]] == ["user", "assistant", "user", "assistant", "user"]
    assert len(app.session.turns) == 2


def test_refusal_is_reported_to_the_model(kernel: Kernel) -> None:
    backend = FakeBackend([code("import shutil; shutil.rmtree('/')"), "OK, something else."])
    _, text, app = chat(backend, kernel, ["clean up", "n", "what now?", "/exit"])
    assert "not run" in text
    assert app.session.turns[0].stop_reason == "refused"
    assert app.session.turns[0].code == []
    assert backend.calls[1][-1].content.startswith(
        "The user did not run the program, so there is no execution result.")
    assert backend.calls[1][-1].content.endswith("what now?")


@pytest.mark.spawns
def test_typed_guidance_goes_to_the_model_at_once(kernel: Kernel) -> None:
    backend = FakeBackend([code("import numpy\nprint(numpy.pi)"),
                           code("import math\nprint(math.pi)"), "Pi is 3.14159."])
    _, text, app = chat(backend, kernel, ["print pi", "use math, not numpy", "y", "/exit"])
    assert "3.14159" in text
    assert backend.calls[1][-1].content == (
        "The user did not run the program, so there is no execution result.\n\n"
        "use math, not numpy")
    assert [t.request for t in app.session.turns] == ["print pi", "use math, not numpy"]


@pytest.mark.spawns
def test_always_runs_the_rest_without_asking(kernel: Kernel) -> None:
    backend = FakeBackend([code("print(1)"), "One.", code("print(2)"), "Two."])
    _, text, app = chat(backend, kernel, ["one", "a", "two", "/exit"])
    assert app.auto
    assert "without asking" in text
    assert [t.stop_reason for t in app.session.turns] == ["done", "done"]


@pytest.mark.spawns
def test_edit_before_running(kernel: Kernel, tmp_path: Path) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text("import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
                      "p.write_text(p.read_text().replace('6 * 7', '6 * 8'))\n")
    backend = FakeBackend([code("print(6 * 7)"), "Done."])
    options = ChatOptions(editor=f"{sys.executable} {editor}")
    _, text, app = chat(backend, kernel, ["multiply", "e", "/exit"], options=options)
    assert "48" in text
    assert app.session.turns[0].code == ["print(6 * 8)"]


@pytest.mark.spawns
def test_a_failing_program_is_fed_back_and_fixed(kernel: Kernel) -> None:
    backend = FakeBackend([code("print(totl)"), code("total = 3\nprint(total)"), "It is 3."])
    _, text, app = chat(backend, kernel, ["print the total", "y", "y", "/exit"])
    assert "NameError" in text and "exit code 1" in text
    assert "It is 3." in text
    assert backend.calls[1][-1].content.startswith("Execution result:")
    assert app.session.turns[0].code == ["print(totl)", "total = 3\nprint(total)"]


@pytest.mark.spawns
def test_undo_reset_and_unknown_commands(kernel: Kernel) -> None:
    backend = FakeBackend(["Hi.", "Hello again."])
    _, text, app = chat(backend, kernel, ["hello", "/undo", "/undo", "/rset", "hi", "/reset",
                                          "/exit"])
    assert "dropped: hello" in text
    assert "nothing to undo" in text
    assert "unknown command /rset (did you mean /reset?)" in text
    assert backend.calls[1][1:] == [backend.calls[1][1]]  # the undone turn is gone
    assert app.session.messages == [] and app.session.turns == []


@pytest.mark.spawns
def test_save_and_load_json_and_markdown(kernel: Kernel, tmp_path: Path) -> None:
    backend = FakeBackend([code("print(2 + 2)"), "Four."])
    saved, md = tmp_path / "s.json", tmp_path / "s.md"
    _, text, _app = chat(backend, kernel, ["2+2", "y", f"/save {saved}", f"/save {md}",
                                          "/exit"])
    assert f"saved to {saved}" in text
    data = json.loads(saved.read_text())
    assert data["format"] == "oci-session" and data["turns"][0]["request"] == "2+2"
    transcript = md.read_text()
    assert "```python\nprint(2 + 2)\n```" in transcript and "Four." in transcript
    # faithful: the model's prose and code under the model, the result oci sent it
    assert transcript.index("## You") < transcript.index("### Model") < transcript.index(
        "### oci, to the model") < transcript.index("Four.")
    assert "Plan." in transcript and "Execution result:" in transcript

    backend2 = FakeBackend(["Still four."])
    _, text2, _app2 = chat(backend2, kernel, [f"/load {saved}", "and now?", f"/load {md}",
                                             f"/load {tmp_path / 'nope.json'}", "/exit"])
    assert "loaded 1 turn(s)" in text2
    assert [m.content for m in backend2.calls[0][1:3]] == ["2+2", code("print(2 + 2)")]
    flat = " ".join(text2.split())  # long temporary paths wrap
    assert "Markdown exports cannot be loaded back" in flat
    assert "nope.json: no such file" in flat


def test_autosave_and_resume(kernel: Kernel, tmp_path: Path) -> None:
    path = tmp_path / "sessions" / "auto.json"
    backend = FakeBackend(["First answer."])
    chat(backend, kernel, ["first", "/exit"], options=ChatOptions(autosave=path))
    resumed = ChatSession.load(path)
    backend2 = FakeBackend(["Second answer."])
    _, text, _ = chat(backend2, kernel, ["second", "/exit"], session=resumed)
    assert "Resumed a conversation of 1 turn(s)" in text
    assert [m.content for m in backend2.calls[0][1:]] == ["first", "First answer.", "second"]


@pytest.mark.spawns
def test_run_again_and_limits(kernel: Kernel) -> None:
    backend = FakeBackend([code("n = 5\nprint(n * n)"), "25."])
    _, text, app = chat(backend, kernel, ["square", "y", "/run", "/limits",
                                          "/limits timeout=3 memory=256M", "/limits bogus=1",
                                          "/limits memory=lots", "/exit"])
    assert text.count("25") >= 3
    assert "The user ran the last program again." in app.session.pending
    assert kernel.limits.timeout == 3 and kernel.limits.memory == 256 * 2**20
    assert "restarted" in text
    assert "expected KEY=VALUE" in text
    assert "not a size" in text or "not a valid" in text


def test_model_command_without_and_with_a_loader(kernel: Kernel) -> None:
    backend = FakeBackend(["a"])
    _, text, _ = chat(backend, kernel, ["/model", "/model other", "/exit"])
    assert "model: fake" in text and "not available" in text
    other = FakeBackend(["From the other model."])
    _, text, app = chat(FakeBackend(), kernel, ["/model other", "hi", "/exit"],
                        load_model=lambda name: other)
    assert "now chatting with fake" in text and app.backend is other
    assert "From the other model." in text


@pytest.mark.spawns
def test_limit_hit_shows_in_the_panel(kernel: Kernel) -> None:
    kernel.limits = Limits(timeout=1)
    backend = FakeBackend([code("while True:\n    pass"), "It loops forever."])
    _, text, _app = chat(backend, kernel, ["loop", "y", "/exit"], options=ChatOptions(rounds=1))
    assert "time limit" in text.lower()
    assert "reached the round limit" in text


@pytest.mark.spawns
def test_model_and_program_escapes_are_removed(kernel: Kernel) -> None:
    backend = FakeBackend([code("print('\\x1b[2Jcleared\\x1b]0;title\\x07')",
                                plan="\x1b[31mred\x1b[0m plan"), "ok"])
    _, text, _ = chat(backend, kernel, ["escape", "y", "/exit"])
    assert "\x1b" not in text and "cleared" in text and "red plan" in text


def test_eof_and_exit_words(kernel: Kernel) -> None:
    backend = FakeBackend()
    assert chat(backend, kernel, [])[0] == 0
    assert chat(backend, kernel, ["quit"])[0] == 0
    assert backend.calls == []


def test_help_lists_every_command(kernel: Kernel) -> None:
    _, text, _ = chat(FakeBackend(), kernel, ["/help", "/exit"])
    for name in ("/help", "/reset", "/undo", "/save", "/load", "/model", "/run", "/edit",
                 "/limits", "/auto", "/exit"):
        assert name in text


def test_terminal_reader_with_prompt_toolkit_pipe_input(tmp_path: Path) -> None:
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    with create_pipe_input() as pipe:
        reader = TerminalReader(tmp_path / "history", commands=HELP, input=pipe,
                                output=DummyOutput())
        pipe.send_text("first line\x1b\rsecond line\r")  # Esc-Enter: a new line
        assert reader.line("› ") == "first line\nsecond line"
        pipe.send_text("\x03")  # Ctrl-C at a question: no
        assert reader.confirm("Run? ") == "n"
    from prompt_toolkit.document import Document

    found = [c.text for c in reader.completer.get_completions(Document("/re"), None)]
    assert found == ["/reset"]
    assert list(reader.completer.get_completions(Document("hello /re"), None)) == []
    assert "first line" in (tmp_path / "history").read_text()


def test_sanitize_strips_escapes_but_keeps_text() -> None:
    evil = "ok\x1b]0;title\x07 \x1b[2J\x1b[Hdone\r\n\ttab\x00\x9b"
    assert sanitize(evil) == "ok done\n\ttab"


# ------------------------------------------------------------- the command --


def oci_chat(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
             stdin: str, *args: str) -> tuple[int, str, str]:
    from oci_interpreter.cli.main import main_with_status

    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main_with_status(["chat", *args])
    out, err = capsys.readouterr()
    return code, out, err


def fake_model(tmp_path: Path, *replies: str) -> str:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(list(replies)))
    return f"fake:{path}"


@pytest.mark.spawns
def test_piped_chat_shows_programs_but_runs_them_only_with_yes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    model = fake_model(tmp_path, code("print(6 * 7)"), "42.")
    status, out, err = oci_chat(capsys, monkeypatch, "multiply\n/exit\n", "--model", model)
    assert status == 0
    assert "programs are shown but not run" in err
    assert "print(6 * 7)" in out and "exit code" not in out

    status, out, err = oci_chat(capsys, monkeypatch, "multiply\n/exit\n", "--model", model,
                                "--yes")
    assert status == 0 and "not run" not in err
    assert "42" in out and "exit code 0" in out


@pytest.mark.spawns
def test_resume_continues_the_last_conversation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, err = oci_chat(capsys, monkeypatch, "", "--resume",
                              "--model", fake_model(tmp_path, "x"))
    assert status == 2 and "no saved conversation to resume" in err
    oci_chat(capsys, monkeypatch, "remember 7\n", "--model", fake_model(tmp_path, "Noted."))
    status, out, _ = oci_chat(capsys, monkeypatch, "what was it?\n", "--resume",
                              "--model", fake_model(tmp_path, "It was 7."))
    assert status == 0 and "Resumed a conversation of 1 turn(s)" in out
    sessions = list((Path(os.environ["OCI_HOME"]) / "data" / "sessions").glob("*.json"))
    assert len(sessions) == 1
    saved = json.loads(sessions[0].read_text())
    assert [t["request"] for t in saved["turns"]] == ["remember 7", "what was it?"]


def test_chat_bad_cwd_is_one_line(capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    status, _, err = oci_chat(capsys, monkeypatch, "", "--cwd", str(tmp_path / "nope"),
                              "--model", fake_model(tmp_path, "x"))
    assert status == 2 and err.count("\n") == 1 and "no such directory" in err


# ------------------------------------------------------------------ Ctrl-C --


class InterruptingBackend(FakeBackend):
    """Sends the process a real SIGINT (Ctrl-C) in the middle of its first reply."""

    def chat(self, messages, options=None, cancel=None):  # type: ignore[no-untyped-def]
        completion = super().chat(messages, options, cancel)
        if len(self.calls) > 1:
            return completion
        inner = completion.chunks

        def chunks():  # type: ignore[no-untyped-def]
            for i, chunk in enumerate(inner):
                if i == 3:
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(0.05)
                yield chunk

        completion.chunks = chunks()
        return completion


def test_ctrl_c_stops_the_reply_keeps_it_and_the_session(kernel: Kernel) -> None:
    backend = InterruptingBackend(["one two three four five six seven eight", "Next answer."])
    _, text, app = chat(backend, kernel, ["talk", "again", "/exit"])
    # one line for one Ctrl-C (not "(reply stopped)" and then "interrupted")
    assert text.count("(reply stopped)") == 1 and "interrupted" not in text
    assert app.session.turns[0].stop_reason == "cancelled"
    kept = app.session.messages[1].content
    assert kept.startswith("one two three") and "eight" not in kept
    assert "Next answer." in text  # the session went on
    assert backend.calls[1][2].content == kept


@pytest.mark.spawns
def test_ctrl_c_interrupts_a_running_program_and_keeps_the_kernel(kernel: Kernel) -> None:
    backend = FakeBackend([code("state = 'kept'\nprint(state)"), "Set.",
                           code("import time\ntime.sleep(30)"),
                           code("print(state)"), "Still there."])
    timer = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT))

    class Lines(ListReader):
        def confirm(self, prompt: str) -> str:
            answer = super().confirm(prompt)
            if len(kernel_calls) == 1:
                timer.start()  # Ctrl-C two seconds into the sleeping program
            kernel_calls.append(answer)
            return answer

    kernel_calls: list[str] = []
    out = io.StringIO()
    console = make_console(file=out)
    app = ChatApp(backend, kernel, console,
                  Lines(["set", "y", "sleep", "y", "show", "y", "/exit"]), ChatOptions())
    started = time.monotonic()
    assert app.interact() == 0
    text = out.getvalue()
    assert time.monotonic() - started < 25
    assert "interrupted" in text
    assert [t.stop_reason for t in app.session.turns][:2] == ["done", "cancelled"]
    assert text.count("kept") >= 2  # the variable survived the interrupted cell


def test_a_long_conversation_is_shortened_once_never_a_context_error(kernel: Kernel) -> None:
    long = "word " * 300
    backend = FakeBackend([f"Answer {i}. {long}" for i in range(8)], n_ctx=1600)
    lines = [f"question {i} {long}" for i in range(8)] + ["/exit"]
    _, text, app = chat(backend, kernel, lines)
    assert text.count("shortened to fit") == 1
    assert "context holds" not in text
    assert len(app.session.turns) == 8


@pytest.mark.spawns
def test_a_non_utf8_terminal_gets_question_marks_not_a_crash(oci_bin: str,
                                                             tmp_path: Path) -> None:
    model = fake_model(tmp_path, code("print('5050 ✓')"), "Done · ok.")
    for encoding in ("ascii", "latin-1"):
        done = subprocess.run([oci_bin, "chat", "--model", model, "--yes"],
                              input=b"add\n/exit\n", capture_output=True, cwd=tmp_path,
                              env={**os.environ, "PYTHONIOENCODING": encoding}, timeout=60)
        assert done.returncode == 0, done.stderr
        assert b"5050" in done.stdout and b"Traceback" not in done.stderr


@pytest.mark.spawns
def test_the_repl_on_prompt_toolkit_pipe_input(kernel: Kernel, tmp_path: Path) -> None:
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    backend = FakeBackend([code("value = 6 * 7\nprint(value)"), "It is 42.",
                           code("print(value + 1)"), "43."])
    out = io.StringIO()
    with create_pipe_input() as pipe:
        reader = TerminalReader(tmp_path / "history", commands=HELP, input=pipe,
                                output=DummyOutput())
        pipe.send_text("compute\ry\rplus one\ra\r/undo\r/exit\r")
        app = ChatApp(backend, kernel, make_console(file=out), reader, ChatOptions())
        assert app.interact() == 0
    text = out.getvalue()
    assert "42" in text and "43" in text and "It is 42." in text
    assert "dropped: plus one" in text and app.auto
    assert [t.request for t in app.session.turns] == ["compute"]


def test_switching_model_switches_its_prompts(kernel: Kernel) -> None:
    from dataclasses import replace as dc_replace

    from oci_interpreter.agent.prompts import for_family

    other = FakeBackend(["Hi."])
    other.info = dc_replace(other.info, family="deepseek-coder")
    _, _, app = chat(FakeBackend(), kernel, ["/model ds", "/exit"], load_model=lambda n: other)
    assert app.prompts == for_family("deepseek-coder")


def test_limits_take_setting_names_in_one_place() -> None:
    limits = Limits().with_settings(memory="256M", max_processes=8, cpu_time=5)
    assert (limits.memory, limits.processes, limits.cpu) == (256 * 2**20, 8, 5)
    with pytest.raises(Exception, match="not a size"):
        Limits().with_settings(memory="lots")
    with pytest.raises(Exception, match="not a sandbox limit"):
        Limits().with_settings(colour="red")


def test_resume_of_a_damaged_session_says_how_to_start_fresh(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path(os.environ["OCI_HOME"]) / "data" / "sessions"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("{not json")
    status, _, err = oci_chat(capsys, monkeypatch, "", "--resume",
                              "--model", fake_model(tmp_path, "x"))
    assert status == 2 and err.count("\n") == 1
    assert "is not JSON" in err and "without --resume" in err


SHOP = '''def total(prices):
    return sum(prices)


if __name__ == "__main__":
    print(total([10, 20]))
'''


@pytest.mark.spawns
def test_fix_in_the_chat_with_a_description(kernel: Kernel, tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(SHOP)
    fixed = SHOP.replace("return sum(prices)", "return round(sum(prices) * 1.08, 2)")
    backend = FakeBackend([
        "```python\nfrom shop import total\nassert total([10, 20]) == 32.4\n```",
        f"Line 2 forgets the tax.\n```python\n{fixed}```",
    ])
    status, text, _app = chat(backend, kernel, [
        "/fix shop.py the total should include the 8% tax", "y", "y", "/exit"])
    assert status == 0
    assert "assert total([10, 20]) == 32.4" in text  # the check, shown
    # the evidence in oci fix's words (it printed the raw "evidence: check" before)
    assert "the code that failed now runs and your check passes" in text
    assert "fixed shop.py" in text
    assert (tmp_path / "shop.py").read_text() == fixed
    assert (tmp_path / "shop.py.orig").read_text() == SHOP


@pytest.mark.spawns
def test_fix_in_the_chat_corrects_a_check_that_does_not_run(kernel: Kernel,
                                                           tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(SHOP)
    fixed = SHOP.replace("return sum(prices)", "return round(sum(prices) * 1.08, 2)")
    backend = FakeBackend([
        "```python\nassert total([10, 20]) == 32.4\n```",  # total never imported
        "```python\nfrom shop import total\nassert total([10, 20]) == 32.4\n```",
        f"Line 2 forgets the tax.\n```python\n{fixed}```",
    ])
    status, text, _app = chat(backend, kernel, [
        "/fix shop.py the total should include the 8% tax", "y", "y", "/exit"])
    assert status == 0
    assert "the check does not run (NameError: name 'total' is not defined)" in text
    assert "the code that failed now runs and your check passes" in text  # oci fix's words
    assert (tmp_path / "shop.py").read_text() == fixed


@pytest.mark.spawns
def test_fix_in_the_chat_refuses_silencing_and_writes_nothing(kernel: Kernel,
                                                              tmp_path: Path) -> None:
    broken = "def ratio(a, b):\n    return a / b\n\n\nprint(ratio(1, 0))\n"
    (tmp_path / "r.py").write_text(broken)
    gutted = "def ratio(a, b):\n    return a / b\n\n\nprint('done')\n"  # ratio never runs
    backend = FakeBackend([f"```python\n{gutted}```"] * 6)
    status, text, _app = chat(backend, kernel, ["/fix r.py", "/exit"])
    assert status == 0
    assert "refused" in text and "could not fix r.py" in text
    assert (tmp_path / "r.py").read_text() == broken


# The five ways chat /fix once differed from `oci fix` (issue 35): both now drive
# agent/fix.py's FixJob.run and print its outcome with ui/loop_view.print_fix_outcome.

FLAKY = ("import os\n"
         "first = not os.path.exists('ran')\n"
         "open('ran', 'w').close()\n"
         "print(1 / (0 if first else 1))\n")
"""Fails the first time it runs, passes after: the model's unchanged copy passes."""


@pytest.mark.spawns
def test_fix_in_the_chat_of_a_flaky_script_says_what_oci_fix_says(
        kernel: Kernel, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.cli.main import main_with_status

    flaky = "it passes now without changes (a flaky failure?); nothing written."
    (tmp_path / "f.py").write_text(FLAKY)
    _, text, _app = chat(FakeBackend([f"```python\n{FLAKY}```"]), kernel, ["/fix f.py", "/exit"])
    assert flaky in text and "could not fix" not in text
    assert (tmp_path / "f.py").read_text() == FLAKY
    (tmp_path / "ran").unlink()  # the same with `oci fix`
    monkeypatch.chdir(tmp_path)
    code = main_with_status(["fix", "f.py", "--model",
                             fake_model(tmp_path, f"```python\n{FLAKY}```")])
    assert code == 0 and flaky in capsys.readouterr().err


@pytest.mark.spawns
def test_fix_in_the_chat_names_the_evidence_in_words(kernel: Kernel, tmp_path: Path) -> None:
    broken = "total = 5\nprint('Total: ' + total)\n"
    (tmp_path / "t.py").write_text(broken)
    backend = FakeBackend(["```python\ntotal = 5\nprint('Total: ' + str(total))\n```"])
    _, text, _app = chat(backend, kernel, ["/fix t.py", "y", "/exit"])
    assert "failing_code_runs" not in text and "evidence:" not in text
    assert ("? wrote the change to t.py (the original is in t.py.orig): the code that "
            "failed (line 2) now runs without the error, but nothing checked what it "
            "computes") in " ".join(text.split())


@pytest.mark.spawns
def test_fix_in_the_chat_shows_the_best_attempt_and_what_to_try_next(
        kernel: Kernel, tmp_path: Path) -> None:
    broken = "total = 5\nprint('Total: ' + total)\n"
    (tmp_path / "t.py").write_text(broken)
    attempts = [f"```python\ntotal = {i}\nprint('Total: ' + total)\n```" for i in range(9)]
    _, text, _app = chat(FakeBackend(attempts), kernel, ["/fix t.py", "/exit"])
    assert "best attempt (not written):" in text and "+total = " in text  # its diff
    assert "could not fix t.py: reached the round limit" in text
    assert "next: try more rounds (--rounds 5)" in " ".join(text.split())
    assert (tmp_path / "t.py").read_text() == broken


@pytest.mark.spawns
def test_fix_in_the_chat_takes_the_rounds_of_the_settings(kernel: Kernel,
                                                          tmp_path: Path) -> None:
    from oci_interpreter.core.config import Settings

    broken = "total = 5\nprint('Total: ' + total)\n"
    (tmp_path / "t.py").write_text(broken)
    failing = [f"```python\ntotal = {i}\nprint('Total: ' + total)\n```" for i in range(3)]
    fixed = "total = 5\nprint('Total: ' + str(total))\n"
    options = ChatOptions(settings=Settings(rounds=4, candidates=1))
    backend = FakeBackend([*failing, f"```python\n{fixed}```"])
    _, text, _app = chat(backend, kernel, ["/fix t.py", "y", "/exit"], options=options)
    assert len(backend.calls) == 4  # a fourth round, as `oci fix --rounds 4` (no cap of 3)
    assert "wrote the change to t.py" in text and (tmp_path / "t.py").read_text() == fixed


@pytest.mark.spawns
def test_fix_in_the_chat_honours_no_backup(kernel: Kernel, tmp_path: Path) -> None:
    broken = "total = 5\nprint('Total: ' + total)\n"
    fixed = "total = 5\nprint('Total: ' + str(total))\n"
    (tmp_path / "t.py").write_text(broken)
    _, text, _app = chat(FakeBackend([f"```python\n{fixed}```"]), kernel,
                         ["/fix --no-backup t.py", "y", "/exit"])
    assert "wrote the change to t.py:" in " ".join(text.split())
    assert (tmp_path / "t.py").read_text() == fixed and not (tmp_path / "t.py.orig").exists()
    (tmp_path / "t.py").write_text(broken)  # without the flag: a backup, as `oci fix` keeps
    chat(FakeBackend([f"```python\n{fixed}```"]), kernel, ["/fix t.py", "y", "/exit"])
    assert (tmp_path / "t.py.orig").read_text() == broken


def test_save_into_a_missing_directory_is_refused(tmp_path: Path) -> None:
    from oci_interpreter.backend.fake import FakeBackend as Fake

    class NoKernel:
        workdir = tmp_path

    target = tmp_path / "nowhere" / "x.json"
    out = io.StringIO()
    console = make_console(file=out)
    app = ChatApp(Fake([]), NoKernel(), console, ListReader([f"/save {target}", "/exit"]),  # type: ignore[arg-type]
                  ChatOptions())
    app.interact()
    assert "no such directory" in out.getvalue()
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.spawns
def test_a_reply_citing_a_result_when_nothing_ran_is_flagged(kernel: Kernel) -> None:
    backend = FakeBackend([code("print(sum(x * x for x in range(1, 11)))"),
                           "The execution result confirms the sum is 385."])
    status, text, _app = chat(backend, kernel, ["sum of squares 1..10",
                                               "just tell me the number", "/exit"])
    assert status == 0
    assert "no program ran in this turn" in " ".join(text.split())
    said = " ".join(m.content for m in backend.calls[1])
    assert "there is no execution result" in said and "just tell me the number" in said


@pytest.mark.spawns
def test_guidance_is_not_followed_by_the_declined_replys_figures(kernel: Kernel) -> None:
    backend = FakeBackend([code("print(6 * 7)", "Here."), code("print(7 * 6)", "Another."),
                           "Fine."])
    _, text, _ = chat(backend, kernel, ["multiply", "use a function instead", "y", "/exit"])
    after = text.split("not run; your words go to the model", 1)[1]
    first = next(line for line in after.splitlines() if line.strip())
    assert "tokens" not in first and first.strip() == "Another."
