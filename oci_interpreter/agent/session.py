"""A chat session: the conversation across turns, on top of the refine loop.

``oci chat`` runs one :class:`~oci_interpreter.agent.loop.RefineLoop` per user message, with
the programs as cells of one persistent kernel. The session keeps what the model
should see next time (its replies, the execution results, the user's refusals and
guidance), the turn boundaries for ``/undo``, and saves itself as JSON (``/save``,
automatic saving, ``--resume``) or exports Markdown. It knows nothing about terminals.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oci_interpreter.agent.contracts import Executor, LoopOptions, Task
from oci_interpreter.agent.events import (
    STOP_TEXT,
    CodeSkipped,
    Event,
    ExecutionEnd,
    Notice,
    Stopped,
)
from oci_interpreter.agent.loop import RefineLoop
from oci_interpreter.agent.prompts import PromptSet
from oci_interpreter.backend.base import Backend, Message
from oci_interpreter.core.atomic import write_atomic
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.errors import UsageError
from oci_interpreter.sandbox.limits import ExecResult

FORMAT = "oci-session"
VERSION = 1
MAX_SESSION_BYTES = 20 * 1024 * 1024


@dataclass
class Turn:
    """One user message and what followed it, for /undo and the Markdown export."""

    request: str
    start: int
    """Index in :attr:`ChatSession.messages` where this turn's messages begin."""
    code: list[str] = field(default_factory=list)
    """Programs run in this turn, in order."""
    outputs: list[str] = field(default_factory=list)
    """What each run printed (stdout, then stderr), as shown to the model."""
    answer: str = ""
    stop_reason: str = ""


@dataclass
class ChatSession:
    """The conversation (without the system prompt) and its turns."""

    messages: list[Message] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    pending: str = ""
    """What the model has not seen yet (the last result, a refusal): sent before the next
    request."""
    model: str = ""
    created: float = field(default_factory=time.time)
    shortened_notice_given: bool = False

    # ------------------------------------------------------------- running --

    def task(self, prompts: PromptSet, request: str) -> Task:
        """The loop's task for ``request``, after the conversation so far."""
        text = f"{self.pending}\n\n{request}" if self.pending else request
        system = prompts.chat_system or prompts.system

        def restate(code: str, failure: str) -> list[Message]:
            return [Message("system", system),
                    Message("user", prompts.retry.format(task=request, code=code,
                                                         failure=failure))]

        return Task(messages=[Message("system", system), *self.messages,
                              Message("user", text)], text=request, restate=restate)

    def run_turn(self, request: str, backend: Backend, executor: Executor,
                 prompts: PromptSet, options: LoopOptions, *, ask: Any = None,
                 on_output: Any = None, cancel: CancelToken | None = None,
                 ) -> Generator[Event, None, None]:
        """Run the loop on ``request``; yields its events and records the turn.

        Whatever stops the loop (including Ctrl-C in the middle of a reply), the
        conversation keeps what the model wrote and what the programs printed.
        """
        turn = Turn(request=request, start=len(self.messages))
        loop = RefineLoop(backend, executor, prompts, options, ask=ask, on_output=on_output,
                          cancel=cancel)
        task = self.task(prompts, request)
        last_feedback = ""
        skipped = ""
        stopped: Stopped | None = None
        try:
            for event in loop.run(task):
                if isinstance(event, ExecutionEnd):
                    turn.code.append(event.code)
                    turn.outputs.append(event.feedback)
                    last_feedback = event.feedback
                    skipped = ""
                elif isinstance(event, CodeSkipped) and event.reason == "refused":
                    skipped = event.message
                elif isinstance(event, Notice) and event.topic == "shortened":
                    if self.shortened_notice_given:
                        continue
                    self.shortened_notice_given = True
                elif isinstance(event, Stopped):
                    stopped = event
                yield event
        finally:
            self._record(turn, task, loop, stopped, last_feedback, skipped)

    def _record(self, turn: Turn, task: Task, loop: RefineLoop, stopped: Stopped | None,
                last_feedback: str, skipped: str) -> None:
        request = task.messages[-1].content
        # The loop's view of the conversation, minus the system prompt. It may have been
        # shortened to fit the context: that is then the session's past.
        new = [m for m in (loop.history or task.messages) if m.role != "system"]
        if new and new[-1].role == "assistant" and not new[-1].content.strip():
            new[-1] = Message("assistant", loop.prompts.no_reply)
        before = len(self.messages)
        turn.start = min(before, len(new))
        for i in range(len(new) - 1, -1, -1):
            if new[i].role == "user" and new[i].content == request:
                turn.start = i
                break
        for earlier in self.turns:  # shortened history: undo never goes past what is left
            earlier.start = min(earlier.start, turn.start)
        self.messages = new
        self.pending = ""
        turn.stop_reason = stopped.reason if stopped is not None else "cancelled"
        if stopped is not None:
            turn.answer = stopped.answer
        if turn.stop_reason == "refused" and skipped:
            self.pending = skipped
        elif (turn.stop_reason in ("round_cap", "repeated", "cancelled") and last_feedback
              and not (new and new[-1].role == "user" and new[-1].content.startswith(
                  last_feedback))):
            self.pending = last_feedback  # the model has not read the last result yet
        self.turns.append(turn)

    # ------------------------------------------------------------- editing --

    def undo(self) -> Turn | None:
        """Drop the last exchange; returns it (None when there is none)."""
        if not self.turns:
            return None
        turn = self.turns.pop()
        self.messages = self.messages[:turn.start]
        self.pending = ""
        return turn

    def reset(self) -> None:
        self.messages.clear()
        self.turns.clear()
        self.pending = ""
        self.shortened_notice_given = False

    def last_code(self) -> str | None:
        for turn in reversed(self.turns):
            if turn.code:
                return turn.code[-1]
        return None

    def add_note(self, text: str) -> None:
        """Something the model should read with the next request (e.g. a /run result)."""
        self.pending = f"{self.pending}\n\n{text}".strip() if self.pending else text

    def record_user_run(self, code: str, result: ExecResult, note: str, prompts: PromptSet,
                        executor: Executor) -> None:
        """A program the user ran themselves (``/run``, ``/edit``): the model reads
        ``note`` and the result with the next request, and the last turn keeps both."""
        from oci_interpreter.agent.feedback import format_result

        feedback = format_result(result, prompts, program_files=executor.program_files,
                                 code=code).text
        self.add_note(f"{note}\n{feedback}")
        if self.turns:
            self.turns[-1].code.append(code)
            self.turns[-1].outputs.append(feedback)

    # --------------------------------------------------------- persistence --

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": VERSION, "model": self.model,
            "created": self.created, "saved": time.time(),
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
            "turns": [{"request": t.request, "start": t.start, "code": t.code,
                       "outputs": t.outputs, "answer": t.answer,
                       "stop_reason": t.stop_reason} for t in self.turns],
            "pending": self.pending,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "the session") -> ChatSession:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UsageError(f"{where} is not an oci session file",
                             "Load a .json file written by /save or saved automatically.")
        if data.get("version") != VERSION:
            raise UsageError(f"{where} has session format {data.get('version')!r}; this oci "
                             f"reads version {VERSION}", "Upgrade oci, or start a new session.")
        try:
            messages = [Message(m["role"], str(m["content"])) for m in data["messages"]
                        if m["role"] in ("user", "assistant")]
            turns = [Turn(request=str(t["request"]), start=int(t["start"]),
                          code=[str(c) for c in t.get("code", [])],
                          outputs=[str(o) for o in t.get("outputs", [])],
                          answer=str(t.get("answer", "")),
                          stop_reason=str(t.get("stop_reason", "")))
                     for t in data["turns"]]
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"{where} is damaged (missing or wrong fields)",
                             "Start a new session, or fix the JSON by hand.") from None
        turns = [t for t in turns if 0 <= t.start <= len(messages)]
        return cls(messages=messages, turns=turns, pending=str(data.get("pending", "")),
                   model=str(data.get("model", "")),
                   created=float(data.get("created", time.time())))

    def save(self, path: Path) -> Path:
        """Write the session as JSON, atomically (a crash never leaves half a file)."""
        path = path.expanduser()
        if path.suffix.lower() in (".md", ".markdown"):
            text = self.to_markdown()
        else:
            text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"
        write_atomic(path, text)
        return path

    @classmethod
    def load(cls, path: Path) -> ChatSession:
        path = path.expanduser()
        if path.suffix.lower() in (".md", ".markdown"):
            raise UsageError(f"{path}: Markdown exports cannot be loaded back",
                             "Load the .json file (/save PATH.json writes one).")
        try:
            if path.stat().st_size > MAX_SESSION_BYTES:
                raise UsageError(f"{path} is larger than {MAX_SESSION_BYTES // 2**20} MiB",
                                 "That is not a session file oci wrote.")
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file", "Check the path (/save wrote where?)."
                             ) from None
        except IsADirectoryError:
            raise UsageError(f"{path} is a directory", "Give a session .json file.") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise UsageError(f"{path} is not JSON", "Give a .json file written by /save."
                             ) from None
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        return cls.from_dict(data, str(path))

    def to_markdown(self) -> str:
        """A faithful transcript: every message of every turn, in order -- what you wrote,
        everything the model wrote (prose and code, a stopped reply as far as it got), and
        what oci told the model (execution results, a program not run, your notes)."""
        lines = [f"# oci session ({self.model or 'model'}, "
                 f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(self.created))})", ""]
        ends = [t.start for t in self.turns[1:]] + [len(self.messages)]
        for turn, end in zip(self.turns, ends, strict=True):
            lines += ["## You", "", turn.request.strip(), ""]
            first = True
            for msg in self.messages[turn.start:end]:
                if msg.role == "system":
                    continue
                if msg.role == "user" and first:
                    first = False  # the request itself, shown above; what came before it
                    # (the result of an interrupted run, a note after a declined program)
                    # is what oci told the model
                    note = msg.content.rstrip().removesuffix(turn.request.rstrip()).strip()
                    if note and note != msg.content.strip():
                        lines += _told(note)
                    continue
                first = False
                if msg.role == "assistant":
                    lines += ["### Model", "", msg.content.strip() or "(empty reply)", ""]
                else:
                    lines += _told(msg.content)
            if turn.stop_reason and turn.stop_reason not in ("done", "solved"):
                why = STOP_TEXT.get(turn.stop_reason, turn.stop_reason.replace("_", " "))
                lines += [f"*(the turn ended: {why})*", ""]
        if self.pending:  # not sent yet: the model reads it with the next message
            lines += _told(self.pending, "oci, to the model with your next message")
        return "\n".join(lines).rstrip() + "\n"


def _told(text: str, heading: str = "oci, to the model") -> list[str]:
    body = text.rstrip().replace("```", "` ` `")
    return [f"### {heading}", "", "```text", body, "```", ""]


def sessions_dir(data_dir: Path) -> Path:
    return data_dir / "sessions"


def new_session_path(data_dir: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = sessions_dir(data_dir) / f"{stamp}.json"
    n = 1
    while path.exists():
        n += 1
        path = sessions_dir(data_dir) / f"{stamp}-{n}.json"
    return path


def latest_session(data_dir: Path) -> Path | None:
    """The most recently saved session file, if any."""
    folder = sessions_dir(data_dir)
    try:
        files = [p for p in folder.iterdir() if p.suffix == ".json" and p.is_file()]
    except OSError:
        return None
    return max(files, key=lambda p: p.stat().st_mtime, default=None)
