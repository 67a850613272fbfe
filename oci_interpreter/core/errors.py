"""One exception hierarchy for everything oci reports to a user.

Every error carries a one-line message (what happened) and a hint (what to do);
the CLI boundary prints ``message`` and ``hint`` on one line and exits with
``exit_code``. A traceback is shown only with ``--traceback``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Exit codes of the ``oci`` command (docs/usage.md). A command returns one; only the
    error boundary (cli/main.py) turns exceptions into them. `oci exec` alone returns
    other numbers too: its program's own status."""

    OK = 0
    ERROR = 1
    NOT_SOLVED = 1
    """`oci run`: not solved within the rounds (the number of ERROR, named for the outcome)."""
    NOT_FIXED = 1
    """`oci fix`: not fixed within the rounds, the file unchanged (the number of ERROR)."""
    USAGE = 2
    MODEL = 3
    CONFIG = 4
    NETWORK = 5
    CONTEXT = 6
    UNVERIFIED = 7
    """`oci fix`: the script runs cleanly now (and the code that failed runs, where there
    was a traceback), but nothing checked what it computes: no --test, no -m check."""
    INTERRUPTED = 130


class OciError(Exception):
    """Base class: an error with a one-line message and a hint for the user."""

    exit_code: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and the hint as one line."""
        text = " ".join(self.message.split())
        if self.hint:
            text = f"{text.rstrip('.')}. {' '.join(self.hint.split())}"
        return text

    def __str__(self) -> str:
        return self.one_line()


class UsageError(OciError):
    """The command line or an input file is not usable as given."""

    exit_code = ExitStatus.USAGE


class ConfigError(OciError):
    """The configuration file or an OCI_* variable is invalid."""

    exit_code = ExitStatus.CONFIG


class ModelError(OciError):
    """A model could not be found, verified or loaded."""

    exit_code = ExitStatus.MODEL


class ModelNotFoundError(ModelError):
    """No model file or catalog entry matches the name given."""


class ModelFileError(ModelError):
    """A model file exists but is not a usable GGUF (bad magic, truncated, corrupt)."""


class ChecksumError(ModelError):
    """A model file's size or sha256 does not match what was expected."""


class ModelTooLargeError(ModelError):
    """A model needs more memory than this machine has available."""


class MissingExtraError(ModelError):
    """An optional part of oci (such as the embedded model) is not installed."""


class DownloadError(OciError):
    """A model download failed (network, missing file on the hub, ...)."""

    exit_code = ExitStatus.NETWORK


class ServerError(OciError):
    """A model server (--base-url) could not be reached or refused or broke a request."""

    exit_code = ExitStatus.NETWORK


class ContextOverflowError(OciError):
    """A prompt does not fit in the model's context window."""

    exit_code = ExitStatus.CONTEXT


class SandboxError(OciError):
    """The sandbox itself could not run a program (not the program's own failure)."""


class WorkdirRefusedError(SandboxError):
    """A working directory through which a program could reach the host (``/``, ``/tmp``,
    the home directory, oci's own files): a usage error, said before anything runs."""

    exit_code = ExitStatus.USAGE
