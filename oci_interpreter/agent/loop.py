"""The generate -> execute -> refine loop (OpenCodeInterpreter), as an iterator of events.

One loop serves every command: ``oci run`` and ``oci fix`` drive it without a
user, ``oci chat`` with one (the injected ``ask`` callable), the benchmark with
its own checks. It knows nothing about terminals.

What it does about a small model's habits (see docs/loop.md for the numbers):

* a program that already ran is never run again: the loop resamples (temperature
  > 0, a new seed) and stops with ``repeated`` when nothing new comes;
* a failed attempt can be restated in a fresh, short context (task + the program +
  its failure) instead of a growing conversation (``strategy="fresh"``);
* several candidates can be generated per failed round and the first that passes
  the check is kept (``candidates``);
* after a clean run, more programs can be written for the same request and the answer
  most of them print is kept (``agree``, agent/agreement.py);
* the feedback names the exception or the limit that stopped the run.
"""

from __future__ import annotations

import ast
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace

from oci_interpreter.agent import codeinfo
from oci_interpreter.agent.agreement import settled, vote
from oci_interpreter.agent.contracts import (  # the loop's contracts, importable here too
    AskFn,
    Executor,
    LoopOptions,
    Task,
)
from oci_interpreter.agent.events import (
    STOP_TEXT,
    Agreement,
    CodeFound,
    CodeSkipped,
    Event,
    ExecutionEnd,
    ExecutionStart,
    ModelReply,
    ModelStart,
    ModelText,
    Notice,
    Stopped,
    StopReason,
    Totals,
)
from oci_interpreter.agent.extract import Extraction, extract_program, find_blocks
from oci_interpreter.agent.feedback import Feedback, format_result
from oci_interpreter.agent.prompts import PromptSet
from oci_interpreter.agent.tasks import WORDS_IN_AN_ANSWER, answer_text, prose_words
from oci_interpreter.backend.base import Backend, GenerationOptions, GenerationStats, Message
from oci_interpreter.core.cancel import CancelToken, cancel_on_sigint
from oci_interpreter.core.errors import ContextOverflowError
from oci_interpreter.sandbox.limits import ExecResult
from oci_interpreter.sandbox.runner import OutputCallback

# Small models like to invent the program's output after the code; stop there.
OUTPUT_STOPS = ("```output", "```Output", "\nExecution result:", "\nOutput:\n```")
EXPLAIN_TOKENS = 400
"""Room for the ``explain`` strategy's walk through a failure."""


@dataclass
class _Attempt:
    code: str
    feedback: Feedback
    result: ExecResult


@dataclass
class _Run:
    """Where one run of the loop stands."""

    messages: list[Message]
    """The next prompt."""
    seen: dict[str, _Attempt | None] = field(default_factory=dict)
    """Programs already proposed (normalized) -> how they ran (None: not run)."""
    clean: _Attempt | None = None
    """The last program that passed."""
    last: _Attempt | None = None
    """The last program that ran."""
    rounds: int = 0
    nudged: bool = False
    """The model was already asked once for a program (or for Python)."""
    answer: str = ""
    agreement: Agreement | None = None
    """The output vote on the last clean program (``agree``)."""

    @property
    def concluding(self) -> bool:
        """The last program passed: the next reply is the model's conclusion."""
        return self.clean is not None and self.last is self.clean


class RefineLoop:
    """``for event in RefineLoop(...).run(task): ...`` -- the last event is :class:`Stopped`."""

    def __init__(self, backend: Backend, executor: Executor, prompts: PromptSet,
                 options: LoopOptions | None = None, *, ask: AskFn | None = None,
                 on_output: OutputCallback | None = None,
                 cancel: CancelToken | None = None) -> None:
        self.backend = backend
        self.executor = executor
        self.prompts = prompts
        self.options = options or LoopOptions()
        self.ask = ask
        self.on_output = on_output
        self.cancel = cancel or CancelToken()
        self.totals = Totals()
        self.history: list[Message] = []
        """The conversation as the model last saw it (plus its last reply)."""
        self._timed_out = False
        self._prepare: Callable[[str], str] | None = None
        self._from_reply: Callable[[str], str | None] | None = None

    def _passed(self, status: str) -> bool:
        return status == "ok" or (status == "silent" and self.options.accept_silent)

    def _program(self, text: str) -> str | None:
        if self._from_reply is not None:
            return self._from_reply(text)
        code = extract_program(text).code
        if code is not None and self._prepare is not None:
            code = self._prepare(code)
        return code

    # ----------------------------------------------------------- generation --

    def _fit(self, messages: list[Message]) -> tuple[list[Message], int, str | None]:
        """Trim ``messages`` to leave room for a reply; return them, max_tokens and a note."""
        n_ctx = self.backend.info.n_ctx
        want = self.options.generation.max_tokens
        floor = min(self.options.min_reply_tokens, want)
        note = None
        used = self.backend.count_tokens(messages)
        if used + want <= n_ctx:
            return messages, want, None
        # 1. Shorten old execution results (all but the last user message).
        trimmed = list(messages)
        for i in range(len(trimmed) - 1):
            msg = trimmed[i]
            if msg.role == "user" and i > 1 and len(msg.content) > 600:
                trimmed[i] = Message("user", msg.content[:300] + self.prompts.shortened
                                     + msg.content[-200:])
        used = self.backend.count_tokens(trimmed)
        # 2. Drop the oldest exchanges after the opening request.
        head = 2 if len(trimmed) > 2 and trimmed[0].role == "system" else 1
        while used + floor > n_ctx and len(trimmed) > head + 2:
            del trimmed[head:head + 2]
            used = self.backend.count_tokens(trimmed)
        if len(trimmed) != len(messages) or trimmed != messages:
            note = "The conversation was shortened to fit the model's context."
        if used + floor > n_ctx:
            raise ContextOverflowError(
                f"the prompt needs {used:,} tokens and the context holds {n_ctx:,}",
                "Shorten the input, or raise n_ctx (--n-ctx) if the model allows it.",
            )
        return trimmed, max(min(want, n_ctx - used), 1), note

    def _generate(self, messages: list[Message], round_: int, purpose: str,
                  options: GenerationOptions, code_stops: bool = True) -> Iterator[Event]:
        """Stream one reply; the last event is its :class:`ModelReply`."""
        messages, max_tokens, note = self._fit(messages)
        if note:
            yield Notice(note, "shortened")
        options = replace(options, max_tokens=max_tokens,
                          stop=tuple(dict.fromkeys((*options.stop, *OUTPUT_STOPS))))
        yield ModelStart(round_, purpose, self.backend.count_tokens(messages))
        parts: list[str] = []
        ended_early = False
        degenerate = False
        with cancel_on_sigint(self.cancel):
            completion = self.backend.chat(messages, options, cancel=self.cancel)
            for chunk in completion:
                if (code_stops and self.options.stop_after_code
                        and ("`" in chunk or "~" in chunk)):
                    text = "".join(parts) + chunk
                    end = _runnable_block_end(text)
                    if end is not None:
                        # The chunk may go on past the closing fence (a backend holding
                        # back "```" as a possible stop string sends it with the next
                        # token, "```\n\nT"): nothing after the fence is shown or kept.
                        chunk = chunk[:max(end - (len(text) - len(chunk)), 0)]
                        if chunk:
                            parts.append(chunk)
                            yield ModelText(chunk)
                        ended_early = True
                        break
                parts.append(chunk)
                yield ModelText(chunk)
                if len(parts) % 16 == 0 and degenerated("".join(parts[-200:])):
                    ended_early = degenerate = True
                    break
            if ended_early:
                completion.close()
        stats: GenerationStats = completion.stats
        if ended_early:
            stats.finish_reason = "repetition" if degenerate else "stop"
        if degenerate:
            yield Notice("The reply kept repeating itself; it was cut there.", "repetition")
        self.totals.add(stats)
        self.history = [*messages, Message("assistant", "".join(parts).strip())]
        yield ModelReply("".join(parts), stats, round_, purpose)

    # ------------------------------------------------------------ execution --

    def _execute(self, code: str, round_: int, candidate: int = 0) -> Iterator[Event]:
        yield ExecutionStart(code, round_, candidate)
        started = time.monotonic()
        result = self.executor.execute(code, self.on_output)
        self.totals.execution_seconds += time.monotonic() - started
        self.totals.executions += 1
        fb = format_result(result, self.prompts, budget=self.options.feedback_chars,
                           program_files=self.executor.program_files,
                           rename=self.executor.rename, code=code)
        rejected = ""
        if fb.status != "failed":
            # The run was clean; the executor may still refuse it (oci fix: the code that
            # failed must still run, and nothing may be silenced).
            verdict = self.executor.judge(code, result, self.prompts)
            if verdict is not None:
                rejected, why = verdict
                fb = Feedback(f"{fb.text}\n\n{self.prompts.rejected.format(why=why)}",
                              "failed", why)
        yield ExecutionEnd(code, result, fb.text, fb.status, fb.reason, round_, candidate,
                           rejected)

    # ----------------------------------------------------------------- loop --

    def _reply(self, messages: list[Message], round_: int, purpose: str,
               options: GenerationOptions, *,
               code_stops: bool = True) -> Generator[Event, None, ModelReply]:
        """Stream one reply (its events pass through); returns the :class:`ModelReply`."""
        reply: ModelReply | None = None
        for event in self._generate(messages, round_, purpose, options, code_stops):
            if isinstance(event, ModelReply):
                reply = event
            yield event
        assert reply is not None
        return reply

    def run(self, task: Task) -> Iterator[Event]:
        """Drive the loop for ``task``; yields events, the last one :class:`Stopped`."""
        timer = None
        if self.options.max_seconds > 0:
            # The overall limit: a reply stops within a token, then the loop stops.
            timer = threading.Timer(self.options.max_seconds, self._out_of_time)
            timer.daemon = True
            timer.start()
        try:
            yield from self._run(task)
        finally:
            if timer is not None:
                timer.cancel()

    def _out_of_time(self) -> None:
        self._timed_out = True
        self.cancel.cancel()

    def _run(self, task: Task) -> Iterator[Event]:
        opts = self.options
        self._prepare = task.prepare
        self._from_reply = task.from_reply
        run = _Run(messages=list(task.messages))
        while True:
            concluding = run.concluding
            reply = yield from self._reply(run.messages,
                                           run.rounds if concluding else run.rounds + 1,
                                           "conclude" if concluding else "answer",
                                           opts.generation)
            if reply.stats.finish_reason == "cancelled":
                yield self._stop(run, "cancelled", False)
                return
            run.messages = list(self.history)
            found = extract_program(reply.text)
            code = self._program(reply.text)
            if (opts.text_answers and run.rounds == 0 and not concluding and code is not None
                    and prose_words(reply.text) >= WORDS_IN_AN_ANSWER):
                # Words were asked for and the reply says them; its code illustrates.
                run.answer = answer_text(reply.text)
                yield self._stop(run, "answered", True)
                return
            if code is None:
                stopped = yield from self._without_code(run, task, reply, found)
                if stopped is not None:
                    yield stopped
                    return
                continue
            key = codeinfo.normalize(code)
            if key in run.seen:
                repeated = yield from self._repeated(run, reply, code, key)
                if isinstance(repeated, Stopped):
                    yield repeated
                    return
                code = repeated
                run.messages = list(self.history)
                key = codeinfo.normalize(code)
                found = extract_program(self.history[-1].content)

            yield CodeFound(code, run.rounds + 1, found.how, tuple(found.other_languages()))

            if not (opts.stdin_data or opts.input_ok) \
                    and codeinfo.input_call(code) is not None:
                text = self.prompts.reads_input.format(call=codeinfo.input_call(code))
                yield CodeSkipped(code, "input", text)
                run.seen[key] = None
                run.rounds += 1
                if run.rounds >= opts.max_rounds:
                    yield self._stop(run, "round_cap", False, "the program asks for input")
                    return
                run.messages.append(Message("user", text))
                continue

            if self.ask is not None:
                approval = self.ask(code, run.rounds + 1)
                if not approval.run:
                    why = f" {approval.why}" if approval.why else ""
                    yield CodeSkipped(code, "refused", self.prompts.refused.format(why=why))
                    yield self._stop(run, "refused", run.concluding)
                    return
                if approval.code is not None:
                    code = approval.code
                    key = codeinfo.normalize(code)

            stopped = yield from self._run_round(run, task, code, key)
            if stopped is not None:
                yield stopped
                return

    def _stop(self, run: _Run, reason: StopReason, success: bool, extra: str = "") -> Stopped:
        if reason == "cancelled" and self._timed_out:
            reason = "max_time"
        clean = run.clean
        best = clean if (success and clean is not None) else run.last
        return Stopped(
            reason=reason, success=success, rounds=run.rounds,
            final_code=best.code if best else None,
            final_output=clean.result.stdout if (success and clean) else None,
            answer=run.answer, message=STOP_TEXT[reason] + (f": {extra}" if extra else ""),
            totals=self.totals, agreement=run.agreement if (success and clean) else None,
        )

    def _without_code(self, run: _Run, task: Task, reply: ModelReply,
                      found: Extraction) -> Generator[Event, None, Stopped | None]:
        """A reply with no program: the answer after a clean run, a cut-off program, code
        in another language, or no code at all. Returns how the loop ends, or None to
        go on with the next message in ``run.messages``."""
        run.answer = reply.text.strip()
        if run.concluding:
            return self._stop(run, "done", True)
        if found.truncated:
            yield CodeSkipped("", "truncated", self.prompts.truncated)
            run.rounds += 1
            if run.rounds >= self.options.max_rounds:
                return self._stop(run, "round_cap", False, "the program was cut off")
            run.messages.append(Message("user", self.prompts.truncated))
            return None
        if self.options.text_answers and run.rounds == 0 and run.answer and (
                not languages_of(found) or prose_words(reply.text) >= WORDS_IN_AN_ANSWER):
            run.answer = answer_text(reply.text)
            return self._stop(run, "answered", True)
        languages = found.other_languages()
        if languages and not run.nudged:
            run.nudged = True
            text = self.prompts.other_language.format(languages=", ".join(languages))
            yield CodeSkipped("", "other_language", text)
            run.messages.append(Message("user", text))
            return None
        if self.options.require_code and not run.nudged:
            run.nudged = True
            yield Notice("The reply had no code; asking the model for a program.", "no_code")
            run.messages.append(Message("user", task.need_code or self.prompts.need_code))
            return None
        return self._stop(run, "no_code", False)

    def _repeated(self, run: _Run, reply: ModelReply, code: str,
                  key: str) -> Generator[Event, None, str | Stopped]:
        """A program that already ran: the end after a clean run, else sampled retries.
        Returns the new program, or how the loop ends."""
        earlier = run.seen[key]
        if earlier is not None and earlier is run.clean:
            run.answer = reply.text.strip()
            return self._stop(run, "done", True)
        nudge = self.prompts.repeated.format(
            reason=earlier.feedback.reason if earlier else self.prompts.not_run)
        new_code: str | None = None
        for event in self._resample([*run.messages, Message("user", nudge)], run.rounds + 1,
                                    run.seen):
            if isinstance(event, CodeFound):
                new_code = event.code
            else:
                yield event
        if new_code is None:
            yield CodeSkipped(code, "repeated", "The model proposed a program that already ran.")
            return self._stop(run, "repeated", run.concluding)
        return new_code

    def _run_round(self, run: _Run, task: Task, code: str,
                   key: str) -> Generator[Event, None, Stopped | None]:
        """Run ``code`` (and, after a failure, the extra candidates); decide what comes
        next. Returns how the loop ends, or None to go on."""
        opts = self.options
        run.rounds += 1
        attempt: _Attempt | None = None
        for event in self._execute(code, run.rounds):
            if isinstance(event, ExecutionEnd):
                attempt = _Attempt(code, Feedback(event.feedback, event.status, event.reason),
                                   event.result)
            yield event
        assert attempt is not None
        run.seen[key] = attempt
        run.last = attempt
        run.nudged = False
        if attempt.result.interrupted:
            return self._stop(run, "cancelled", False)

        if not self._passed(attempt.feedback.status) and opts.candidates > 1:
            for event in self._candidates(task, run.messages, attempt, run.rounds, run.seen):
                if isinstance(event, ExecutionEnd) and self._passed(event.status):
                    attempt = _Attempt(event.code, Feedback(event.feedback, event.status,
                                                            event.reason), event.result)
                    run.last = attempt
                yield event

        if self._passed(attempt.feedback.status):
            if (opts.agree > 0 and self.ask is None and attempt.feedback.status == "ok"
                    and attempt.result.stdout.strip()):
                attempt, run.agreement = yield from self._agreement(run, attempt)
                run.last = attempt
                if self.cancel.cancelled:
                    return self._stop(run, "cancelled", False)
            run.clean = attempt
            if not opts.confirm:
                return self._stop(run, "solved", True)
            if run.rounds >= opts.max_rounds:
                return self._stop(run, "round_cap", True, "the last program ran cleanly")
            run.messages = list(self.history)
            run.messages.append(Message("user", attempt.feedback.text + self.prompts.ran_clean))
            return None
        if run.rounds >= opts.max_rounds:
            return self._stop(run, "round_cap", False, attempt.feedback.reason)
        explanation = ""
        if opts.strategy == "explain" and attempt.feedback.status == "failed":
            explanation = yield from self._explain(task, attempt, run.rounds)
            if self.cancel.cancelled:
                return self._stop(run, "cancelled", False)
        run.messages = self._next_context(task, attempt, explanation)
        return None

    def _explain(self, task: Task, attempt: _Attempt,
                 round_: int) -> Generator[Event, None, str]:
        """The model's walk through the failure, in a fresh short context (no code)."""
        saved = self.history
        prompt = self.prompts.explain.format(task=task.text or task.messages[-1].content,
                                             code=attempt.code,
                                             failure=attempt.feedback.text)
        options = replace(self.options.generation, max_tokens=EXPLAIN_TOKENS)
        reply = yield from self._reply([Message("user", prompt)], round_, "explain",
                                       options, code_stops=False)
        self.history = saved
        text = reply.text.strip()
        # Only the reasoning goes on: a program in it would be read as the fix.
        return re.sub(r"```.*?(```|$)", "", text, flags=re.S).strip()

    def _next_context(self, task: Task, attempt: _Attempt,
                      explanation: str = "") -> list[Message]:
        """The prompt after a failed (or silent) run, per the strategy."""
        failure = attempt.feedback.text
        if explanation:
            failure += self.prompts.explained.format(explanation=explanation)
        if self.options.strategy == "fresh" and task.restate is not None:
            return task.restate(attempt.code, failure)
        messages = list(self.history)
        if task.again is not None:
            text = task.again.format(failure=failure)
        elif attempt.feedback.status == "failed":
            text = failure + self.prompts.failed.format(reason=attempt.feedback.reason)
        else:
            text = failure
        messages.append(Message("user", text))
        return messages

    def _resample(self, messages: list[Message], round_: int,
                  seen: dict[str, _Attempt | None]) -> Iterator[Event]:
        """Sample new replies until one has a program not run before; yields CodeFound
        (not re-yielded by the caller) when one is found."""
        opts = self.options
        base = opts.generation
        for k in range(opts.resample):
            yield Notice(f"The model repeated a program that already ran; sampling a new one "
                         f"({k + 1}/{opts.resample}).", "resample")
            options = replace(base, temperature=max(opts.resample_temperature, 0.1),
                              seed=base.seed + 1000 * (k + 1))
            reply = yield from self._reply(messages, round_, "resample", options)
            if reply.stats.finish_reason == "cancelled":
                return
            code = self._program(reply.text)
            if code is not None and codeinfo.normalize(code) not in seen:
                yield CodeFound(code, round_, "resample")
                return

    def _candidates(self, task: Task, messages: list[Message], first: _Attempt, round_: int,
                    seen: dict[str, _Attempt | None]) -> Iterator[Event]:
        """Extra sampled programs for the same round; stops at the first that passes."""
        opts = self.options
        base = opts.generation
        context = messages[:-1] if messages and messages[-1].role == "assistant" else messages
        saved = self.history
        for k in range(1, opts.candidates):
            options = replace(base, temperature=max(opts.resample_temperature, 0.1),
                              seed=base.seed + 7919 * k)
            reply = yield from self._reply(list(context), round_, "candidate", options)
            if reply.stats.finish_reason == "cancelled":
                break
            found = self._new_program(reply.text, seen)
            if found is None:
                continue
            code, key = found
            ok = False
            for event in self._execute(code, round_, k):
                if isinstance(event, ExecutionEnd):
                    seen[key] = _Attempt(code, Feedback(event.feedback, event.status,
                                                        event.reason), event.result)
                    ok = self._passed(event.status)
                yield event
            if ok:
                return
        self.history = saved

    def _new_program(self, text: str, seen: dict[str, _Attempt | None]
                     ) -> tuple[str, str] | None:
        """A sampled reply's program and its key, when it can run here (no input() without
        piped data) and was not run before; else None."""
        code = self._program(text)
        if code is None or (not (self.options.stdin_data or self.options.input_ok)
                             and codeinfo.reads_input(code)):
            return None
        key = codeinfo.normalize(code)
        return None if key in seen else (code, key)

    def _agreement(self, run: _Run, first: _Attempt
                   ) -> Generator[Event, None, tuple[_Attempt, Agreement]]:
        """More programs for the request that produced ``first`` (which ran cleanly and
        printed something); returns the program whose answer most of them print, and the
        vote. ``self.history`` ends with the kept program's reply."""
        opts = self.options
        base = opts.generation
        history = list(self.history)
        context = history[:-1] if history and history[-1].role == "assistant" else history
        kept: list[tuple[_Attempt, list[Message]]] = [(first, history)]
        sampled = 0
        for k in range(1, opts.agree + 1):
            if settled([a.result.stdout for a, _ in kept], opts.agree - k + 1):
                break
            sampled += 1
            options = replace(base, temperature=max(opts.resample_temperature, 0.1),
                              seed=base.seed + 104729 * k)
            reply = yield from self._reply(list(context), run.rounds, "agreement", options)
            if reply.stats.finish_reason == "cancelled":
                break
            found = self._new_program(reply.text, run.seen)
            if found is None:
                continue  # no program, or the same again: not a second opinion
            code, key = found
            replied = list(self.history)
            attempt: _Attempt | None = None
            for event in self._execute(code, run.rounds, k):
                if isinstance(event, ExecutionEnd):
                    attempt = _Attempt(code, Feedback(event.feedback, event.status,
                                                      event.reason), event.result)
                yield event
            assert attempt is not None
            run.seen[key] = attempt
            if attempt.result.interrupted:
                break
            if attempt.feedback.status == "ok" and attempt.result.stdout.strip():
                kept.append((attempt, replied))
        result = vote([a.result.stdout for a, _ in kept])
        assert result is not None
        chosen, self.history = kept[result.chosen]
        agreement = Agreement(agree=result.agree, of=result.of, sampled=sampled,
                              clear=result.clear, switched=chosen is not first,
                              output=chosen.result.stdout, round=run.rounds)
        yield agreement
        return chosen, agreement


_LOOP_TAIL = re.compile(r"(.{4,120}?)\1{5,}\s*$", re.DOTALL)


def languages_of(found: Extraction) -> tuple[str, ...]:
    """The languages of the code blocks a reply holds that were not run."""
    return tuple(found.other_languages())


def degenerated(tail: str) -> bool:
    """The end of a reply is stuck in a loop: the same line over and over (8 of the last
    10 non-blank lines alike) or the same piece of text six times or more in a row."""
    lines = [line.strip() for line in tail.splitlines() if line.strip()][-10:]
    if len(lines) >= 10 and max(lines.count(line) for line in lines) >= 8 and (
            len(set(lines[-1])) > 2):  # not a ruler of dashes or a column of zeros
        return True
    match = _LOOP_TAIL.search(tail[-800:])
    return match is not None and len(set(match.group(1))) >= 3


def _runnable_block_end(text: str) -> int | None:
    """Where the first complete python block that does something when run (not only
    definitions) ends: the offset just after its closing fence; None when there is none."""
    for block in find_blocks(text):
        if block.language == "python" and block.complete and block.code.strip():
            tree = codeinfo.parse_module(block.code)
            if tree is not None and (codeinfo.prints_something(block.code)
                                     or _calls_at_top_level(tree)):
                return block.end
    return None


def _calls_at_top_level(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            return True
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            return True
    return False


def conversation_task(prompts: PromptSet, request: str,
                      earlier: Sequence[Message] = ()) -> Task:
    """A task in the interpreter's conversation: system prompt, earlier turns, the request."""
    messages = [Message("system", prompts.system), *earlier, Message("user", request)]

    def restate(code: str, failure: str) -> list[Message]:
        return [Message("system", prompts.system),
                Message("user", prompts.retry.format(task=request, code=code, failure=failure))]

    return Task(messages=messages, text=request, restate=restate)
