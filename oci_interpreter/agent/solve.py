"""`oci run` as a library call: a task in words in, a :class:`RunOutcome` out.

The command (cli/run_cmd.py) parses its flags, calls :func:`solve` with the model and an
executor, and renders what comes back; nothing here knows about terminals. Progress goes
to ``on_event`` (every event the loop yields) as it happens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from oci_interpreter.agent.contracts import Executor, LoopOptions, Task
from oci_interpreter.agent.events import Event, ModelText, Stopped, event_to_dict
from oci_interpreter.agent.examples import check_code, examples_passed_line, task_examples
from oci_interpreter.agent.loop import RefineLoop, conversation_task
from oci_interpreter.agent.prompts import for_family
from oci_interpreter.backend.base import Backend
from oci_interpreter.core.errors import ExitStatus
from oci_interpreter.sandbox.runner import OutputCallback

EventCallback = Callable[[Event], None]


@dataclass
class RunOutcome:
    """What a task came to: the loop's last event and the transcript (``--json``)."""

    task: str
    model: str
    stopped: Stopped
    transcript: list[dict[str, Any]] = field(default_factory=list)
    examples: int = 0
    """Examples the task states, checked after every program (agent/examples.py)."""

    @property
    def success(self) -> bool:
        return self.stopped.success

    @property
    def final_output(self) -> str | None:
        """What the solving program printed, without the line the examples' check adds."""
        out = self.stopped.final_output
        if out is None or not self.examples:
            return out
        line = examples_passed_line(self.examples, TASK_EXAMPLES) + "\n"
        return out[:-len(line)] if out.endswith(line) else out

    @property
    def answer_only(self) -> bool:
        """The task asked for words and got them: no program ran."""
        return self.stopped.reason == "answered"

    @property
    def evidence(self) -> str:
        """Why it counts as solved, in words (empty when not solved)."""
        if not self.success:
            return ""
        if self.answer_only:
            return "answered in words; nothing was run or checked"
        if self.examples:
            plural = "s" if self.examples != 1 else ""
            return f"checked against the {self.examples} example{plural} in your task"
        return "the program ran cleanly; nothing checked its answer"

    @property
    def exit_status(self) -> ExitStatus:
        """`oci run`'s exit status: 130 interrupted, 0 solved, 1 not solved."""
        if self.stopped.reason == "cancelled":
            return ExitStatus.INTERRUPTED
        return ExitStatus.OK if self.stopped.success else ExitStatus.NOT_SOLVED

    def to_dict(self) -> dict[str, Any]:
        s = self.stopped
        return {
            "success": s.success,
            "final_code": s.final_code if s.success else None,
            "final_output": self.final_output,
            "examples_checked": self.examples,
            "answer_only": self.answer_only,
            "evidence": self.evidence,
            "best_attempt": s.final_code,
            "rounds": s.rounds,
            "stop_reason": s.reason,
            "agreement": (event_to_dict(s.agreement) if s.agreement is not None else None),
            "message": s.message,
            "answer": s.answer,
            "task": self.task,
            "model": self.model,
            "stats": s.totals.to_dict(),
            "events": self.transcript,
        }


def follow(loop: RefineLoop, task: Task,
           on_event: EventCallback | None = None) -> tuple[Stopped, list[dict[str, Any]]]:
    """Run ``loop`` on ``task``, passing each event to ``on_event``; return the
    :class:`Stopped` event and the transcript (every event but the streamed text chunks,
    which the replies repeat whole)."""
    transcript: list[dict[str, Any]] = []
    stopped: Stopped | None = None
    for event in loop.run(task):
        if on_event is not None:
            on_event(event)
        if isinstance(event, Stopped):
            stopped = event
        if not isinstance(event, ModelText):
            transcript.append(event_to_dict(event))
    assert stopped is not None
    return stopped, transcript


def solve(backend: Backend, executor: Executor, text: str, options: LoopOptions, *,
          on_event: EventCallback | None = None,
          on_output: OutputCallback | None = None,
          modules: Sequence[str] = (), examples: int = 0, words: bool = False) -> RunOutcome:
    """Solve ``text``: the model writes a program, ``executor`` runs it, the model reads
    the result and refines, within ``options`` (`oci run`'s: ``LoopOptions.from_settings(
    settings, "run")``); ``modules``: the third-party packages programs may import, named
    to the model up front (agent/hints.py ``installed_modules``); ``examples``: how many
    examples of the task the executor checks after each program (:func:`task_checks`);
    ``words``: the task asks for words (agent/tasks.py): a reply without code is the
    answer."""
    prompts = for_family(backend.info.family).with_modules(modules)
    if words:
        prompts = prompts.with_system(prompts.words_system)
        # The whole answer is read: an explanation goes on after the code it shows.
        options = replace(options, text_answers=True, stop_after_code=False)
    loop = RefineLoop(backend, executor, prompts, options, on_output=on_output)
    stopped, transcript = follow(loop, conversation_task(prompts, text), on_event)
    return RunOutcome(task=text, model=backend.info.name, stopped=stopped,
                      transcript=transcript, examples=examples)


TASK_EXAMPLES = "examples in your task"


def task_checks(text: str) -> tuple[str, int]:
    """The code that checks the examples ``text`` states (run after each program: a
    wrong value fails the round and says which example, expected and got), and their
    number; ``("", 0)`` when it states none."""
    found = task_examples(text)
    return (check_code("", found, what=TASK_EXAMPLES), len(found)) if found else ("", 0)
