"""What `oci fix` asks the model and how a reply becomes the file: the loop's options for a
repair, the request (the whole file, or a large file's view: agent/focus.py) and its
restatement, the program a reply gives (agent/edits.py, agent/replace_blocks.py), and the
`--test` commands no repair could make pass.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from oci_interpreter.agent.contracts import LoopOptions, Task
from oci_interpreter.agent.edits import apply_edit
from oci_interpreter.agent.fixrun import FileExecutor
from oci_interpreter.agent.focus import Focus, focus
from oci_interpreter.agent.prompts import PromptSet
from oci_interpreter.backend.base import Message
from oci_interpreter.core.errors import UsageError
from oci_interpreter.core.sourcefile import SourceFile
from oci_interpreter.sandbox.limits import ExecResult


def fix_options(base: LoopOptions, file_tokens: int) -> LoopOptions:
    """The loop as ``oci fix`` runs it: a clean run is the end (no conclusion from the
    model, a silent script is fine), a script that calls ``input()`` is run as the
    original was, and the reply has room for what the request shows (``file_tokens``: the
    whole file, or the definitions a large file's view shows), not much more (a reply that
    runs to its cap, times candidates, times rounds, is minutes)."""
    # Room for the code once and a sentence: a longer reply is the model looping.
    generation = replace(base.generation, max_tokens=int(file_tokens * 1.5) + 200)
    return replace(base, confirm=False, require_code=True, accept_silent=True,
                   stop_after_code=False, input_ok=True, generation=generation)

def _asserts_nothing() -> UsageError:
    return UsageError("the check the model wrote from your description asserts nothing: it "
                      "would pass on any script", "Say the values you expect (\"the total "
                      "should be 31.40\"), or give a test command with --test.")


def never_passes(command: str, result: ExecResult) -> str | None:
    """Why the ``--test`` command's failure on the file as it is cannot be the file's (no
    change to it could make it pass), or None: the shell found no such command (127) or
    could not run it (126), pytest found no such file (4) or no tests (5), or the command
    is ``false``."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    first = words[0] if words else ""
    code = result.exit_code
    if code == 127:
        return f"`{first}` was not found (exit 127)"
    if code == 126:
        return f"`{first}` could not be run (exit 126: not executable)"
    if any(Path(w).name.startswith("pytest") or w == "pytest" for w in words[:3]):
        if code == 4:
            return "pytest could not find what it was given to run (exit 4)"
        if code == 5:
            return "pytest collected no tests (exit 5)"
    if Path(first).name == "false" and len(words) == 1:
        return "`false` always fails"
    return None


def first_failure(prompts: PromptSet, executor: FileExecutor, result: ExecResult) -> str:
    """How the original failed, as the model reads it (traceback, hint)."""
    from oci_interpreter.agent.feedback import format_result

    return format_result(result, prompts, program_files=executor.program_files,
                         code=executor.source.text).text


FOCUS_ABOVE_TOKENS = 1200
"""A file of more tokens than this (about 120 lines) is shown in part -- the definitions
the failure involves and an outline of the rest (agent/focus.py) -- and the model writes
only the definitions it changes; a smaller file is shown and written whole."""


def fix_task(prompts: PromptSet, source: SourceFile, command: str, failure: str, *,
             test: bool = False, view: Focus | None = None) -> Task:
    """The opening request (file + command + failure) and its fresh restatement.
    ``test``: ``command`` is the user's test command, not the script itself. ``view``:
    the part of a large file the request shows (None: the whole file)."""
    if view is None:
        template = prompts.fix_test_request if test else prompts.fix_request
        system, again, need_code = prompts.fix_system, prompts.fix_again, prompts.fix_need_code
    else:
        template = prompts.fix_focus_test_request if test else prompts.fix_focus_request
        system, again = prompts.fix_focus_system, prompts.fix_focus_again
        need_code = prompts.fix_focus_need_code
    names = view.involved if view is not None else ()

    def shown(code: str) -> str:
        if view is None:
            return code.rstrip()
        if code == source.text:
            return view.text.rstrip()
        return focus(code, (), names=names).text.rstrip()

    def request(code: str, why: str) -> list[Message]:
        return [Message("system", system),
                Message("user", template.format(command=command, code=shown(code),
                                                failure=why, name=source.path.name,
                                                lines=source.text.count("\n") + 1))]

    near = view.lines if view is not None else ()
    return Task(messages=request(source.text, failure),
                text=source.text if view is None else view.text,
                restate=request, again=again, need_code=need_code,
                from_reply=lambda reply: program_of(source.text, reply, near))


def program_of(original: str, reply: str, near: tuple[int, ...] = ()) -> str | None:
    """The file a repair reply gives: its search/replace blocks applied (agent/
    replace_blocks.py), then its code -- a few changed lines of a function put in place of
    the lines they change (agent/prose_edit.py's fragment_edit), else the whole file or
    changed definitions merged by unit (agent/edits.py); a reply with neither, or whose
    code changes nothing, gives the edit its words state (agent/prose_edit.py). None when
    the reply holds none of these, or a block matches no single place (the model is asked
    again for code)."""
    from oci_interpreter.agent.extract import extract_program
    from oci_interpreter.agent.prose_edit import fragment_edit, prose_edit
    from oci_interpreter.agent.replace_blocks import (
        EditError,
        apply_replace_blocks,
        find_replace_blocks,
        without_blocks,
    )

    text = original
    blocks = find_replace_blocks(reply)
    if blocks:
        try:
            text = apply_replace_blocks(original, blocks)
        except EditError:
            return None
        reply = without_blocks(reply)
    code = extract_program(reply).code
    if code is None:
        return text if blocks else prose_edit(original, reply, near)
    program = fragment_edit(text, code, near) or apply_edit(text, code, near)
    if program == original and not blocks:
        # The code changes nothing (a small model copies the view it was shown): the edit
        # its first sentence states, if any.
        return prose_edit(original, reply, near) or program
    return program
