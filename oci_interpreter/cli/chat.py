"""`oci chat`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oci_interpreter.cli.environment import Environment, takes_environment
from oci_interpreter.cli.options import (
    MODEL,
    SANDBOX,
    CwdOpt,
    takes_settings,
    working_dir,
)
from oci_interpreter.core.errors import ExitStatus, UsageError


@takes_settings(("chat_rounds",), MODEL, SANDBOX)
@takes_environment
def chat(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Run programs without asking "
                                      "(config: auto_run).")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the last saved "
                                         "conversation.")] = False,
    cwd: CwdOpt = None,
    *,
    env: Environment,
    flags: dict[str, Any],
) -> ExitStatus:
    """Chat with the model in the terminal: it writes Python, you confirm, oci runs it in
    a persistent sandboxed kernel (variables survive between messages), the model reads the
    result and goes on.

    At the run prompt: y runs, n skips, e edits first, a runs everything from now on; a
    sentence instead goes to the model. Ctrl-C stops a reply or a run; Ctrl-D or /exit
    leaves; /help lists the commands. Conversations are saved in the data directory
    (--resume continues the last one).

    The model is the one given by --model, else OCI_MODEL, else `model` in the config file,
    else the best model present in the store, else the embedded default.
    """
    from oci_interpreter.agent.chat import ChatOptions
    from oci_interpreter.agent.hints import installed_modules
    from oci_interpreter.agent.session import ChatSession, latest_session, new_session_path
    from oci_interpreter.backend.base import Backend
    from oci_interpreter.core import paths
    from oci_interpreter.sandbox.kernel import Kernel
    from oci_interpreter.sandbox.limits import Limits
    from oci_interpreter.ui.chat import HELP, ChatApp
    from oci_interpreter.ui.execution import print_note
    from oci_interpreter.ui.readers import LineReader, Reader, TerminalReader

    settings = env.settings(flags)
    workdir = working_dir(cwd)
    data = paths.data_dir()
    session: ChatSession | None = None
    save_to = new_session_path(data)
    if resume:
        last = latest_session(data)
        if last is None:
            raise UsageError("there is no saved conversation to resume",
                             "Start one with `oci chat`; it is saved as you go.")
        try:
            session = ChatSession.load(last)
        except UsageError as exc:  # the file says what is wrong; the fix is a fresh start
            raise UsageError(exc.message, "Move it away, or start a new conversation with "
                             "`oci chat` (without --resume).") from None
        save_to = last
    limits = Limits.from_settings(settings)
    # The kernel starts with the first program; its directory is checked now.
    kernel = Kernel(workdir, limits, sandbox=settings.sandbox, python=settings.python)

    err = env.err
    env.say_containment(settings)
    backend = env.load_model(settings)

    def load_model(name: str) -> Backend:
        if settings.base_url:  # another model of the same server
            return env.load_model(settings.replace(server_model=name), note=False)
        return env.load_model(settings.replace(model=name), note=False)

    interactive = env.stdin_isatty
    app: ChatApp | None = None
    try:
        console = env.console
        auto = yes or settings.auto_run
        if interactive:
            reader: Reader = TerminalReader(data / "history", settings.editing_mode,
                                            commands=HELP)
        else:  # a pipe of messages: nobody to confirm, and answers would eat messages
            reader = LineReader(env.stdin.readline, answers=False)
            if not auto:
                print_note(err, "stdin is not a terminal: programs are shown but not run "
                           "(pass --yes to run them)")
        options = ChatOptions.from_settings(settings, auto_run=auto, autosave=save_to)
        app = ChatApp(backend, kernel, console, reader, options, session=session,
                      load_model=load_model, family=backend.info.family,
                      terminal_input=env.stdin if interactive else None,
                      modules=installed_modules(settings.python))
        status = app.interact()
    finally:
        kernel.shutdown()
        (app.backend if app is not None else backend).close()  # /model may have switched
    return status
