"""How `oci fix` runs the file: as it is, a candidate in its place, the check written
from the user's description, or the user's test command, each in the sandbox, and each
result naming the user's file (not the temporary copy it ran as).

Candidates run as a temporary copy beside the file (same directory, so relative imports
and data files work), or, with a test command or a check, in a temporary copy of the
directory where the candidate replaces the file (:func:`_copy_tree`: never through a
link, no FIFO, socket or device, any depth, within a size and an entry cap).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from oci_interpreter.agent.prompts import PromptSet
from oci_interpreter.core.errors import UsageError
from oci_interpreter.core.sourcefile import SourceFile
from oci_interpreter.core.trees import remove_tree
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.runner import OutputCallback, run_program
from oci_interpreter.sandbox.workspace import SKIP_DIRS

MAX_COPY_BYTES = 200 * 1024 * 1024
MAX_COPY_ENTRIES = 200_000

def command_line(path: Path, args: list[str]) -> str:
    return shlex.join(["python", path.name, *args])


class FileExecutor:
    """Runs a candidate of ``source``: the script itself (with ``args``), or ``test``."""

    def __init__(self, source: SourceFile, args: list[str], limits: Limits, *,
                 sandbox: str = "auto", python: str | None = None,
                 test: str | None = None, cwd: Path | None = None,
                 check: str | None = None) -> None:
        self.source = source
        self.check = check
        """Python code that must pass with the candidate in place (``oci fix -m``)."""
        self.args = args
        self.limits = limits
        self.sandbox = sandbox
        self.python = python
        self.test = test
        self.cwd = (cwd or Path.cwd()).resolve()
        path = source.path
        self.program_files: tuple[str, ...] = (str(path), path.name)
        self.rename: dict[str, str] = {}
        """Always empty: every result already names the user's file, not the temporary copy
        that ran (:func:`as_user`), so nothing needs to be read back after a run."""

    def _encode(self, code: str) -> bytes:
        try:
            return self.source.encode(code)
        except UsageError:  # the candidate broke the encoding: run it as UTF-8 anyway
            return code.encode("utf-8", "replace")

    original: ExecResult | None = None
    """The file's own run (``run_original``): what a candidate is checked against."""

    def judge(self, code: str, result: ExecResult,
              prompts: PromptSet) -> tuple[str, str] | None:
        """A candidate that ran cleanly is a repair only if it passes agent/verify.py's
        checks: (kind, why) when it does not."""
        from oci_interpreter.agent import invented, verify

        original = self.original
        if original is None:
            return None
        stderr = original.stderr
        frames = verify.failure_frames(stderr, self.program_files)
        failing = [f.line for f in frames]
        rejection = (verify.static_checks(self.source.text, code, failing)
                     or invented.invented_state(self.source.text, code, failing, stderr))
        if rejection is None and self.test is None:
            rejection = verify.dynamic_checks(
                self.source.text, code, frames, result.lines_run, original.stdout,
                result.stdout, original.lines_run)
        if rejection is None:
            return None
        return rejection.kind, rejection.detail

    def execute(self, code: str, on_output: OutputCallback | None = None) -> ExecResult:
        if self.check is not None:
            return self.run_check(code, on_output)
        if self.test is not None:
            return self._run_test(code, on_output)
        path = self.source.path
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.oci-",
                                    suffix=path.suffix or ".py")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self._encode(code))
            result = run_program(path=temp, args=self.args, cwd=path.parent, limits=self.limits,
                                 sandbox=self.sandbox, python=self.python, on_output=on_output,
                                 trace_lines=True, explain_asserts=True)
            return as_user(result, {temp: str(path), Path(temp).name: path.name})
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp)

    def run_original(self, on_output: OutputCallback | None = None) -> ExecResult:
        """The file as it is (the first run, before any model is loaded)."""
        if self.test is not None:
            self.original = self._run_test(self.source.text, on_output)
            return self.original
        self.original = run_program(path=self.source.path, args=self.args,
                                    cwd=self.source.path.parent, limits=self.limits,
                                    sandbox=self.sandbox, python=self.python,
                                    on_output=on_output, trace_lines=True,
                                    explain_asserts=True)
        return self.original

    def run_check(self, code: str, on_output: OutputCallback | None = None, *,
                  check: str | None = None) -> ExecResult:
        """The check (``self.check``, or ``check``) with ``code`` as the script, in a copy
        of the script's directory: the check imports the script or runs it."""
        check = check if check is not None else self.check
        assert check is not None
        path = self.source.path
        with _scratch() as tmp:
            copy = Path(tmp) / path.parent.name
            _copy_tree(path.parent, copy)
            target = copy / path.name
            target.write_bytes(self._encode(code))
            result = run_program(code=check, cwd=copy, limits=self.limits,
                                 sandbox=self.sandbox, python=self.python,
                                 on_output=on_output, filename="<check>", explain_asserts=True)
            return as_user(result, {str(target): str(path), str(copy): str(path.parent)})

    def _run_test(self, code: str, on_output: OutputCallback | None) -> ExecResult:
        path = self.source.path
        root = self.cwd if path.is_relative_to(self.cwd) else path.parent
        with _scratch() as tmp:
            copy = Path(tmp) / root.name
            _copy_tree(root, copy)
            target = copy / path.relative_to(root)
            target.write_bytes(self._encode(code))
            workdir = copy / self.cwd.relative_to(root) if self.cwd.is_relative_to(root) else copy
            program = (
                "import subprocess, sys\n"
                f"sys.exit(subprocess.call({self.test!r}, shell=True))\n"
            )
            result = run_program(code=program, cwd=workdir, limits=self.limits,
                                 sandbox=self.sandbox, python=self.python, on_output=on_output,
                                 filename="<test>", explain_asserts=True)
            return as_user(result, {str(target): str(path), str(copy): str(root)})


def as_user(result: ExecResult, rename: dict[str, str]) -> ExecResult:
    """``result`` as the user reads it: the temporary copy's paths in its output and error
    replaced by the user's (in ``rename``'s order: a file before its directory). The files
    it lists stay as they are: those are where the program really wrote."""
    stdout, stderr, error = result.stdout, result.stderr, result.error
    for temp, real in rename.items():
        stdout, stderr = stdout.replace(temp, real), stderr.replace(temp, real)
        error = error.replace(temp, real) if error is not None else None

    def size(text: str) -> int:
        return len(text.encode("utf-8", "replace"))

    # The byte counts change by as much as the text did (they say whether output was cut).
    return replace(result, stdout=stdout, stderr=stderr, error=error,
                   stdout_bytes=result.stdout_bytes + size(stdout) - size(result.stdout),
                   stderr_bytes=result.stderr_bytes + size(stderr) - size(result.stderr))


@contextlib.contextmanager
def _scratch() -> Iterator[str]:
    """A new temporary directory, removed afterwards however deep what a program left in
    it (``tempfile.TemporaryDirectory`` recurses, and fails past ~1,000 levels)."""
    tmp = tempfile.mkdtemp(prefix="oci-fix-")
    try:
        yield tmp
    finally:
        remove_tree(tmp)


def _copy_tree(root: Path, dest: Path) -> None:
    """Copy ``root`` to ``dest`` (which must not exist) for a run of ``--test`` or ``-m``.

    Whatever an earlier program left there: regular files are copied (content, mode,
    times), directories made, symlinks copied as symlinks (never followed, so nothing
    outside ``root`` is read through one); FIFOs, sockets and devices are left out (opening
    a FIFO waits for a writer), and so are the directories oci never copies (``.git``,
    virtualenvs, ``node_modules``...). Iterative, so any depth copies; bounded by
    :data:`MAX_COPY_BYTES` and :data:`MAX_COPY_ENTRIES`. Unreadable files are left out
    (the test could not read them either). Raises UsageError (one line) when it cannot."""
    total = entries = 0
    dirs: list[tuple[str, os.stat_result]] = []
    stack: list[tuple[str, str]] = [(str(root), str(dest))]
    current = str(root)
    try:
        os.mkdir(dest, 0o700)
        dirs.append((str(dest), os.stat(root)))
        while stack:
            src_dir, dst_dir = stack.pop()
            current = src_dir
            try:
                with os.scandir(src_dir) as found:
                    names = [entry.name for entry in found]
            except PermissionError:
                continue  # an unreadable directory: empty in the copy
            for name in names:
                entries += 1
                if entries > MAX_COPY_ENTRIES:
                    raise UsageError(
                        f"{root} holds more than {MAX_COPY_ENTRIES:,} files and directories "
                        "to copy for --test or -m",
                        "Run oci fix from a smaller directory (the one your test needs).")
                if name in SKIP_DIRS:  # big, and never what a test needs changed
                    continue
                src, dst = os.path.join(src_dir, name), os.path.join(dst_dir, name)
                current = src
                try:
                    st = os.lstat(src)
                except FileNotFoundError:
                    continue
                if stat.S_ISLNK(st.st_mode):
                    os.symlink(os.readlink(src), dst)
                elif stat.S_ISDIR(st.st_mode):
                    os.mkdir(dst, 0o700)
                    dirs.append((dst, st))
                    stack.append((src, dst))
                elif stat.S_ISREG(st.st_mode):
                    total += st.st_size
                    if total > MAX_COPY_BYTES:
                        raise UsageError(
                            f"{root} holds more than {MAX_COPY_BYTES // 2**20} MiB to copy "
                            "for --test or -m",
                            "Run oci fix from a smaller directory (the one your test needs).")
                    _copy_file(src, dst)
                # else a FIFO, a socket or a device: not copied
        for path, st in reversed(dirs):  # the deepest first: a read-only one last
            with contextlib.suppress(OSError):
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
                os.chmod(path, stat.S_IMODE(st.st_mode) | stat.S_IRWXU)
    except UsageError:
        raise
    except OSError as exc:
        raise UsageError(
            f"cannot copy {root} for --test or -m: {exc.strerror or exc} (at {current})",
            "Remove what cannot be copied, or run oci fix from a directory without it "
            "(the one your test needs).") from None


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NOFOLLOW
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW


def _copy_file(src: str, dst: str) -> None:
    """``src`` (a regular file when it was looked at) to the new file ``dst``, with its mode
    and times. Opened without following a symlink and without waiting (a FIFO swapped in
    meanwhile is left out, as is a file that cannot be read)."""
    try:
        fd = os.open(src, _READ_FLAGS)
    except (PermissionError, FileNotFoundError):
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symlink now: left out
            return
        raise
    with os.fdopen(fd, "rb") as source:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return
        out = os.open(dst, _CREATE_FLAGS, 0o600)
        with os.fdopen(out, "wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
            os.fchmod(out, stat.S_IMODE(st.st_mode))
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
