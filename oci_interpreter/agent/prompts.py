"""Prompts, as data. Tuned per model family where needed.

Every sentence oci writes to the model in ``oci run``, ``oci fix`` and ``oci chat`` is a
field of :class:`PromptSet` here: the system prompts, the execution feedback wording (the
OpenCodeInterpreter paper's ``Execution result:`` format, the notes on input, files and
limits, the markers where output was cut), the repair prompts and the chat's notes on
programs the user ran. The loop fills the ``{placeholders}`` with :meth:`str.format`.

The exceptions are written where what they say is decided: the one-sentence error hints
(agent/hints.py, each template next to the pattern that picks it); why a clean run is not
a repair or not an answer (agent/verify.py's rejection reasons, filled into
``rejected``); how a run ended (``ExecResult.describe()``, sandbox/limits.py's
``_LIMIT_TEXT``: ``stopped: ran out of memory (limit 1 GiB)``); and why a change a
program made was not kept (sandbox/writeback.py's reasons, in ``refused_changes``).
`oci bench` sends requests of its own (bench/problems.py, bench/vote.py,
bench/fixture.py): they stand where a user's words would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class PromptSet:
    """The texts the refine loop sends to the model. One per model family."""

    system: str
    """System prompt of the loop (``oci run``, ``oci chat`` with code execution)."""
    feedback: str = "Execution result:\n{output}"
    """A run's result as the model sees it (the paper's format)."""
    no_output: str = (
        "(no output)\nThe program printed nothing. Print the result with print()."
    )
    read_stdin: str = (
        "(The program tried to read input; there is none. Put the values in the code.)"
    )
    saved_figures: str = "(Saved figures: {names})"
    created_files: str = "(Created files: {names})"
    refused_changes: str = (
        "(Not kept in the working directory, so later programs will not see them: {items})")
    """Changes oci did not apply (sandbox/writeback.py), each ``NAME (reason)``."""
    network_off: str = (
        "(The network is off where programs run: nothing can be downloaded or fetched. Do "
        "not try again online; use data in the program or in local files. The user can "
        "turn the network on with --allow-network.)"
    )
    cut: str = "\n[... {n} characters cut ...]\n"
    """Where the middle of a long output was left out (its head and tail are kept)."""
    library_frame: str = "  ... (1 frame in library code)"
    library_frames: str = "  ... ({n} frames in library code)"
    """A run of traceback frames outside the program, left out."""
    interrupted: str = "the user interrupted it"
    raised: str = "it raised {error}"
    exited: str = "it exited with status {code}"
    """Why a run failed (the ``{reason}`` of ``failed``) when no limit stopped it; a limit
    or a signal is said by the result itself (``ExecResult.describe()``)."""
    failure_note: str = "[{reason}]"
    """The reason, after the output, when the output does not show it (a limit, or no
    error text)."""
    more_items: str = "; and {n} more"
    """After the first five ``refused_changes`` items."""
    hint: str = "Hint: {advice}"
    """A one-sentence hint on what the error means (agent/hints.py chooses it)."""
    limit_advice: dict[str, str] = field(default_factory=lambda: {
        "time": "Make it faster (no endless loop, smaller inputs) or print progress sooner.",
        "cpu": "Make it do less work (a better algorithm, smaller inputs).",
        "memory": "Use less memory: smaller data, generators instead of big lists.",
        "processes": "Start fewer processes or threads.",
        "output": "Print less: a summary or the first lines, not everything.",
        "file_size": "Write smaller files.",
        "open_files": "Close files after use (with open(...) as f:).",
        "inotify": "Do not watch files for changes; read them when the program needs them.",
    })
    """What to do about the limit a program hit, after the limit's own description."""
    ran_clean: str = (
        "\n\nIf this answers the task, reply with the answer in one sentence and no code. "
        "Otherwise write the whole corrected program."
    )
    failed: str = (
        "\n\nThe program failed: {reason}. Find the cause and write the whole corrected program "
        "in one ```python block."
    )
    reads_input: str = (
        "The program was not run: it calls {call}, but there is no user to type input. "
        "Assign the values directly in the code and write the whole program again."
    )
    truncated: str = (
        "The program was not run: the code block is cut off (the reply ended inside it). "
        "Write a shorter complete program in one ```python block."
    )
    need_code: str = (
        "Solve this with a Python program: write one complete program in a ```python block "
        "that computes the answer and prints it."
    )
    other_language: str = (
        "Only Python code is run here; the {languages} block was not run. Write the solution "
        "as one complete Python program in a ```python block."
    )
    refused: str = (
        "The user did not run the program, so there is no execution result.{why}"
    )
    user_says: str = " The user says: {text}"
    """Appended to ``refused`` when the user typed guidance instead of running it."""
    user_reran: str = "The user ran the last program again."
    user_edited: str = "The user edited the program and ran it:\n```python\n{code}\n```"
    """Notes that precede a program the user ran themselves (`/run`, `/edit` in the chat);
    the run's result follows, as the model reads it after its own programs."""
    no_reply: str = "(no reply: interrupted)"
    """The chat's record of a reply that was interrupted before its first word."""
    chat_system: str | None = None
    """System prompt of ``oci chat``, where programs are cells of one persistent kernel
    (None: ``system``)."""
    repeated: str = (
        "That is the same program that already failed ({reason}). Running it again gives "
        "the same error. Change the code so that this error cannot happen, and write the "
        "whole corrected program in one ```python block."
    )
    not_run: str = "it cannot run"
    """The ``{reason}`` of ``repeated`` when the earlier program was not run (it asked
    for input)."""
    shortened: str = "\n[... shortened ...]\n"
    """Where an old execution result was cut to fit the model's context."""
    retry: str = (
        "Task:\n{task}\n\nThis program was tried:\n```python\n{code}\n```\n\n"
        "It failed:\n{failure}\n\n"
        "Write a corrected complete program in one ```python block. Change what caused the "
        "failure; do not repeat the same program."
    )
    """A fresh, short context for a failed attempt (the ``fresh`` strategy)."""
    explain: str = (
        "Task:\n{task}\n\nThis program was written for it:\n```python\n{code}\n```\n\n"
        "Running it gave:\n{failure}\n\n"
        "Do not write a new program. Walk through what the program does on the failing "
        "case, line by line, with the actual values, until you reach the line where the "
        "result goes wrong. Then say in one sentence which line is wrong and why."
    )
    """A fresh, short context where the model explains a failure (``explain``)."""
    explained: str = "\n\nWhere it goes wrong, traced step by step:\n{explanation}"
    """The explanation, appended to the failure the model reads next (``explain``)."""
    fix_system: str = (
        "You are an expert Python programmer. You repair the user's script. Reply with the "
        "whole corrected file in one ```python block, then nothing else. Keep everything that "
        "is not part of the bug unchanged."
    )
    fix_request: str = (
        "This script fails when run as `{command}`:\n```python\n{code}\n```\n\n{failure}\n\n"
        "First say in one sentence which line is wrong and how to change it. Then reply "
        "with the whole corrected file in one ```python block."
    )
    fix_test_request: str = (
        "This is {name}:\n```python\n{code}\n```\n\nThe test command `{command}` checks it, "
        "and fails:\n{failure}\n\nThe test is right and stays as it is; {name} computes the "
        "wrong value. First say in one sentence which line of {name} is wrong and how to "
        "change it. Then reply with the whole corrected {name} in one ```python block."
    )
    """`oci fix --test`: the failure is the test's, the bug is in the file."""
    fix_need_code: str = (
        "Now apply that change and write the whole corrected file in one ```python block."
    )
    fix_focus_system: str = (
        "You are an expert Python programmer. You repair the user's script. Reply with the "
        "functions or classes you change, each complete, in one ```python block, then "
        "nothing else. Do not repeat code you do not change."
    )
    """`oci fix` on a large file (agent/focus.py): the model sees the parts the failure
    involves and writes only the definitions it changes."""
    fix_focus_request: str = (
        "This script, {name} ({lines} lines), fails when run as `{command}`. Here are the "
        "parts of it the failure involves; the rest is shown as an outline (`...` marks "
        "code not shown) and stays as it is:\n```python\n{code}\n```\n\n{failure}\n\n"
        "First say in one sentence which line is wrong and how to change it. Then write "
        "only the functions or classes you change, each complete (a method inside its "
        "`class` line), in one ```python block. Use the names that exist in the code."
    )
    fix_focus_test_request: str = (
        "This is {name} ({lines} lines); here are the parts the failure involves, the rest "
        "as an outline (`...` marks code not shown):\n```python\n{code}\n```\n\nThe test "
        "command `{command}` checks it, and fails:\n{failure}\n\nThe test is right and "
        "stays as it is; {name} computes the wrong value. First say in one sentence which "
        "line of {name} is wrong and how to change it. Then write only the functions or "
        "classes you change, each complete (a method inside its `class` line), in one "
        "```python block."
    )
    fix_focus_need_code: str = (
        "Now apply that change: write the functions or classes you change, each complete, "
        "in one ```python block."
    )
    fix_focus_again: str = (
        "The corrected file still fails:\n{failure}\n\n"
        "Fix it. Write only the functions or classes you change, each complete, in one "
        "```python block."
    )
    words_system: str = (
        "You are a helpful assistant on the user's machine. The user's request asks for "
        "words, not for a program: answer it directly in plain text, as briefly as it "
        "allows. Write code only if the request asks for code."
    )
    """`oci run` on a task that asks for words (agent/tasks.py): the system prompt."""
    piped_text: str = (
        "\n\nThe text piped to this command ({size}{cut}):\n```\n{text}\n```"
    )
    """Appended to a task that asks for words when text comes in on stdin: the text itself
    (up to :data:`agent.tasks.WORDS_DATA_CHARS`), since no program will read it."""
    piped_data: str = (
        "\n\nData was piped to this command ({size}{cut}). It is the program's standard "
        "input (read sys.stdin){where}. Its first lines:\n```\n{head}\n```"
    )
    """Appended to `oci run`'s task when data comes in on stdin."""
    piped_binary: str = (
        "\n\nBinary data was piped to this command ({size}{cut}; not shown). It is the "
        "program's standard input (read sys.stdin.buffer){where}."
    )
    """``piped_data`` for data that is not text."""
    piped_file: str = ", and it is also in the file {name} in the current directory"
    """The ``{where}`` of ``piped_data``; empty for `oci run --code`, whose program the user
    runs later with the data on its stdin (oci's copy of it is gone by then)."""
    piped_cut: str = "; only the first {mib} MiB"
    """The ``{cut}`` of ``piped_data`` when the data was longer than oci keeps."""
    fix_check_request: str = (
        "This script, {name}, runs, but the user says it does the wrong thing: "
        "{description}\n\n```python\n{code}\n```\n\n"
        "Write a short Python check that shows the problem. Import what you need from the "
        "script (`from {module} import ...`; it is in the current directory) or run it with "
        "subprocess and read its output; then assert the values the user expects, with "
        "numbers worked out by hand from the description. The check must fail on the script "
        "as it is and pass once it is fixed. Reply with the check in one ```python block "
        "and nothing else."
    )
    """`oci fix -m`: the user's description of the wrong behaviour becomes a check."""
    fix_check_no_assert: str = (
        "That check only prints; it would pass on any script. Write asserts instead: "
        "compare what the script computes with the values the user expects, e.g. "
        "`assert round(total, 2) == 31.40`. Reply with the whole check in one ```python "
        "block and nothing else."
    )
    """`oci fix -m`: the check asserts nothing; one more try."""
    fix_check_failed: str = (
        "It does the wrong thing: {description}\nThis check shows it:\n```python\n{check}\n"
        "```\nThe check fails:\n{failure}"
    )
    """The failure the model reads when the check of ``-m`` fails."""
    fix_check_broken: str = (
        "The check fails before it tests the script:\n```\n{error}\n```\n"
        "Correct that mistake (import from {module} or the standard library what the check "
        "uses) and keep its asserts. Reply with the whole check in one ```python block and "
        "nothing else."
    )
    """`oci fix -m`: the check does not run (agent/verify.py: check_own_error); one try
    to correct it."""
    fix_check_main_only: str = (
        "\n`{name}` is set only inside the script's `if __name__ == \"__main__\":` block, so "
        "it cannot be imported: write its value into the check:\n```python\n{assignment}\n```"
    )
    """Added to ``fix_check_broken`` when the missing name is the script's sample data
    (agent/verify.py: main_only_value)."""
    rejected: str = (
        "The program ran without an error, but it does not count: {why}."
    )
    """After a clean run that `oci fix`'s checks refused (agent/verify.py says why)."""
    fix_again: str = (
        "The corrected file still fails:\n{failure}\n\n"
        "Fix it. Reply with the whole corrected file in one ```python block."
    )

    def with_system(self, system: str, chat_system: str | None = None) -> PromptSet:
        return replace(self, system=system, chat_system=chat_system)

    def with_modules(self, modules: Sequence[str]) -> PromptSet:
        """The system prompts with the third-party packages programs may import named
        (``oci run`` and the chat; the benchmark keeps the standard-library sentence)."""
        if not modules:
            return self
        named = f"Besides the standard library, these packages are installed: " \
                f"{', '.join(modules)}."

        def told(text: str | None) -> str | None:
            if text is None:
                return None
            if _STDLIB_ONLY in text:
                return text.replace(_STDLIB_ONLY, named)
            return f"{text.rstrip()}\n{named}"

        return replace(self, system=told(self.system) or self.system,
                       chat_system=told(self.chat_system))


_STDLIB_ONLY = "Use only the standard library unless the user says otherwise."

_SYSTEM_INTERPRETER = (
    "You are an AI code interpreter. You solve the user's task by writing Python code that "
    "is run on the user's machine; then you see its output.\n"
    "Reply with a one-sentence plan, then ONE complete Python program in a single ```python "
    "block. The program must print its result with print(). Do not use input(): put the "
    "values in the code. Use only the standard library unless the user says otherwise.\n"
    "After you see the execution result: if it answers the task, state the answer briefly "
    "without code; if it failed, say why in one sentence and write the whole corrected program."
)

# In chat the programs share one Python session; said inside the sentence about running
# code: appended as a note of its own, the 0.5B model recites it instead of answering.
_SYSTEM_CHAT_INTERPRETER = _SYSTEM_INTERPRETER.replace(
    "that is run on the user's machine; then you see its output.",
    "that is run on the user's machine, in one Python session that keeps the variables of "
    "earlier programs; then you see its output.")

DEFAULT = PromptSet(system=_SYSTEM_INTERPRETER, chat_system=_SYSTEM_CHAT_INTERPRETER)

# OpenCodeInterpreter's own models were trained on this kind of system prompt.
DEEPSEEK_CODER = DEFAULT.with_system(
    "You are an AI code interpreter.\n"
    "Your goal is to help users do a variety of jobs by executing Python code.\n\n"
    "You should:\n"
    "1. Comprehend the user's requirements carefully & to the letter.\n"
    "2. Give a brief description for what you plan to do & write one complete Python "
    "program in a ```python block that prints its result.\n"
    "3. Provide results analysis based on the execution output.\n"
    "4. If an error occurred, try to fix it and write the whole corrected program.\n"
    "5. Do not use input(); put the values in the code."
)

FAMILIES: dict[str, PromptSet] = {
    "auto": DEFAULT,
    "qwen": DEFAULT,
    "deepseek-coder": DEEPSEEK_CODER,
}


def for_family(family: str) -> PromptSet:
    """The prompt set for a model family (the default one for unknown families)."""
    return FAMILIES.get(family, DEFAULT)
