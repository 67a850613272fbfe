"""The speed half of ``oci bench``: what oci costs on top of llama.cpp, measured in one run.

Every figure is taken in the same process, on the same loaded model and settings, next
to the baseline it is compared with, because on a shared machine only ratios measured
side by side mean anything:

``decode``    oci's ``LlamaBackend.chat`` (streamed text, stop strings) against the raw
              engine (``LlamaBackend.engine_generate``: llama-cpp-python's ``generate``
              with the same greedy parameters and nothing else), on the *same* Llama
              object, KV cache dropped before each run, runs interleaved, medians.
``ceiling``   memory bandwidth measured here (numpy reductions over a large array in
              several threads) / weight bytes read per token (from the GGUF header) =
              the most tokens/s this hardware allows; decode as a fraction of it.
``followup``  time to first token of a follow-up turn after a chat history of about N
              tokens, with the KV cache reused (the normal path) and dropped.
``sandbox``   a trivial kernel cell and a fresh contained run against ``python -c pass``.
``startup``   ``oci --help`` against ``python -c pass``.
``rss``       peak resident memory of a real ``oci chat`` turn, in a child process, against
              the model file and against the weights plus the KV cache; the same run
              times the chat's start-up to its banner and to the reply's first line.

Timings are medians (best-of for bandwidth); a part that fails or cannot apply is
``None`` with the reason in ``skipped`` or ``errors``, never an exception. Heavy modules
(numpy, llama_cpp) are imported inside the functions so ``oci --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oci_interpreter.backend.base import GenerationOptions, Message
from oci_interpreter.bench.fixture import (
    DECODE_MESSAGES,
    FOLLOW_UP,
    synthetic_history,
)
from oci_interpreter.bench.machine import describe_machine, usable_cpus
from oci_interpreter.core.errors import UsageError

if TYPE_CHECKING:
    from oci_interpreter.backend.llama import LlamaBackend

PARTS = ("decode", "ceiling", "followup", "sandbox", "startup", "rss")
"""What ``measure`` can take, in the order it takes them."""

Progress = Callable[[str], None]


@dataclass
class SpeedReport:
    """The speed figures of one run; ``to_dict`` is what ``oci bench --json`` prints."""

    model: str = ""
    model_path: str = ""
    machine: dict[str, Any] = field(default_factory=dict)
    # decode: oci against the raw engine, same model object, same prompt and settings
    decode_tokens_per_s: float | None = None
    engine_decode_tokens_per_s: float | None = None
    decode_ratio_vs_engine: float | None = None
    decode_step_ratio_vs_engine: float | None = None
    """Median time between tokens, engine / oci: the same ratio, robust to load bursts."""
    prompt_tokens_per_s: float | None = None
    engine_prompt_tokens_per_s: float | None = None
    prompt_ratio_vs_engine: float | None = None
    decode: dict[str, Any] | None = None
    """Details: prompt and generated token counts, every run's timings."""
    # ceiling: the hardware limit on decode speed
    memory_bandwidth_gb_s: float | None = None
    bandwidth_threads: int | None = None
    weight_bytes_per_token: int | None = None
    ceiling_tokens_per_s: float | None = None
    decode_fraction_of_ceiling: float | None = None
    # follow-up time to first token, by history length: reuse / no_reuse / token counts
    followup_ttft_s: dict[str, dict[str, Any]] = field(default_factory=dict)
    sandbox: dict[str, Any] | None = None
    python_c_pass_s: float | None = None
    help_startup_s: float | None = None
    help_startup_ratio: float | None = None
    chat_turn_peak_rss_mib: float | None = None
    model_file_mib: float | None = None
    chat_turn_rss_vs_model_file: float | None = None
    kv_cache_mib: float | None = None
    chat_turn_rss_vs_weights_and_kv: float | None = None
    """Peak RSS over (model file + f16 KV cache for the context): the memory goal's ratio."""
    chat_startup_to_banner_s: float | None = None
    chat_startup_to_first_reply_line_s: float | None = None
    """From starting ``oci chat`` (task piped in) to the first line of the model's reply."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Part -> why it was not measured (not selected, does not apply here)."""
    errors: dict[str, str] = field(default_factory=dict)
    """Part -> what went wrong while measuring it."""
    wall_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --- decode: oci against the raw engine -------------------------------------------------

def measure_decode(backend: LlamaBackend, *, max_tokens: int = 128, repeats: int = 5,
                   progress: Progress | None = None) -> dict[str, Any]:
    """Decode and prompt speed through ``chat`` and through the raw engine, interleaved.

    Same loaded model, same tokens, same greedy parameters; the KV cache is dropped
    before every run so each evaluates the whole prompt. Decode speed of a run is
    (tokens - 1) / decode seconds: the first token comes from the prompt evaluation,
    each later one from one decode step. Prompt speed is prompt tokens / time to the
    first token. Pairs alternate which side goes first; the ratios are medians of the pairs' ratios.
    ``step_ratio_vs_engine`` compares the median time between two tokens instead, which
    a burst of load from another process during a run moves much less.
    """
    say = progress or _quiet
    tokens = backend.tokenize_prompt(DECODE_MESSAGES)
    options = GenerationOptions(temperature=0.0, max_tokens=max_tokens)
    backend.drop_cache()
    backend.engine_generate(tokens, 4)  # warm-up: page the weights in, settle the threads
    runs: dict[str, list[dict[str, float]]] = {"engine": [], "oci": []}
    for i in range(repeats):
        say(f"speed: decode, engine vs oci, pair {i + 1}/{repeats} ({max_tokens} tokens)")
        for side in (("engine", "oci") if i % 2 == 0 else ("oci", "engine")):
            backend.drop_cache()
            times: list[float] = []
            if side == "engine":
                prompt_s, decode_s, n = backend.engine_generate(tokens, max_tokens, times)
            else:
                completion = backend.chat(DECODE_MESSAGES, options)
                for _chunk in completion:
                    times.append(time.perf_counter())
                stats = completion.stats
                prompt_s, decode_s, n = (stats.prompt_seconds, stats.generate_seconds,
                                         stats.generated_tokens)
                if stats.prompt_tokens_evaluated != len(tokens):
                    raise RuntimeError("oci reused the KV cache after drop_cache: "
                                       f"{stats.prompt_tokens_evaluated} of {len(tokens)} "
                                       "prompt tokens evaluated")
            runs[side].append({
                "prompt_s": prompt_s, "decode_s": decode_s, "tokens": n,
                "prompt_tokens_per_s": len(tokens) / prompt_s if prompt_s else 0.0,
                "decode_tokens_per_s": (n - 1) / decode_s if decode_s and n > 1 else 0.0,
                "median_step_s": _median_step(times),
            })

    def med(side: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[side])

    out: dict[str, Any] = {
        "prompt_tokens": len(tokens),
        "max_tokens": max_tokens,
        "repeats": repeats,
        "engine_tokens": [int(r["tokens"]) for r in runs["engine"]],
        "oci_tokens": [int(r["tokens"]) for r in runs["oci"]],
        "engine_runs": runs["engine"],
        "oci_runs": runs["oci"],
    }
    for key in ("decode_tokens_per_s", "prompt_tokens_per_s", "median_step_s"):
        out[key] = med("oci", key)
        out[f"engine_{key}"] = med("engine", key)
    out["step_ratio_vs_engine"] = (out["engine_median_step_s"] / out["median_step_s"]
                                   if out["median_step_s"] else None)
    # The ratios: the median over the pairs of each pair's ratio. The two runs of a pair
    # are seconds apart, so load that drifts over the minute the pairs take cancels out
    # (a ratio of the sides' medians mixes runs taken under different load).
    for key, name in (("decode_tokens_per_s", "decode_ratio_vs_engine"),
                      ("prompt_tokens_per_s", "prompt_ratio_vs_engine")):
        ratios = [o[key] / e[key] for o, e in zip(runs["oci"], runs["engine"], strict=True)
                  if e[key] and o[key]]
        out[f"pair_{name}s"] = ratios
        out[name] = statistics.median(ratios) if ratios else None
    return out


def _median_step(times: Sequence[float]) -> float:
    """The median time between consecutive tokens (for oci: text chunks, one per token
    unless a stop string or a split UTF-8 character holds text back)."""
    steps = [b - a for a, b in itertools.pairwise(times)]
    return statistics.median(steps) if steps else 0.0


# --- ceiling: memory bandwidth / bytes per token ----------------------------------------

def memory_bandwidth(*, threads: int | None = None, size_mib: int = 512,
                     repeats: int = 5) -> float:
    """Streaming-read bandwidth of this machine in GB/s (10^9 bytes per second).

    An int64 array of ``size_mib`` (well beyond the caches at the default) is split in
    ``threads`` parts (default: every usable CPU), each reduced with ``max`` in its own
    thread (numpy releases the GIL), the best of ``repeats``.
    """
    import numpy as np

    threads = threads or usable_cpus()
    n = max(threads, (size_mib << 20) // 8)
    data = np.ones(n, dtype=np.int64)  # written, so every page is mapped
    parts = np.array_split(data, threads)
    best = float("inf")
    for _ in range(repeats):
        workers = [threading.Thread(target=part.max) for part in parts]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        best = min(best, time.perf_counter() - start)
    return data.nbytes / best / 1e9


# --- follow-up time to first token -------------------------------------------------------

def measure_followup(backend: LlamaBackend, lengths: Iterable[int], *, reply_tokens: int = 16,
                     progress: Progress | None = None) -> dict[str, dict[str, Any]]:
    """Time to first token of a follow-up turn after a history of about each length.

    For each length: a synthetic chat is answered (``reply_tokens``, so the cache holds
    the history and the reply), the reply and a new user message are appended, and the
    follow-up's time to first token is taken with the cache as it is (reuse), then again
    after ``drop_cache`` (no reuse). Lengths that do not fit the context are skipped.
    """
    say = progress or _quiet
    out: dict[str, dict[str, Any]] = {}
    n_ctx = backend.info.n_ctx
    one = GenerationOptions(temperature=0.0, max_tokens=1)
    for length in lengths:
        if length + reply_tokens + 400 > n_ctx:
            out[str(length)] = {"skipped": f"needs more than the context's {n_ctx} tokens"}
            continue
        say(f"speed: follow-up time to first token after ~{length} tokens of history")
        history = synthetic_history(backend.count_tokens, length)
        backend.drop_cache()
        first = backend.chat(history, GenerationOptions(temperature=0.0,
                                                        max_tokens=reply_tokens))
        reply = first.text()
        follow = [*history, Message("assistant", reply), Message("user", FOLLOW_UP)]
        reused = backend.chat(follow, one)
        reused.text()
        backend.drop_cache()
        fresh = backend.chat(follow, one)
        fresh.text()
        out[str(length)] = {
            "reuse": reused.stats.prompt_seconds,
            "no_reuse": fresh.stats.prompt_seconds,
            "reused_tokens": reused.stats.prompt_tokens_reused,
            "evaluated_tokens": reused.stats.prompt_tokens_evaluated,
            "history_tokens": first.stats.prompt_tokens,
            "prompt_tokens": reused.stats.prompt_tokens,
        }
    return out


# --- sandbox and start-up -----------------------------------------------------------------

def timed(fn: Callable[[], object], runs: int) -> float:
    """Median seconds of ``runs`` calls, after one untimed call that warms the caches."""
    fn()
    samples = []
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def python_c_pass(runs: int = 20) -> float:
    """Median seconds of ``python -c pass`` run with subprocess.run: the baseline."""
    argv = [sys.executable, "-c", "pass"]
    return timed(lambda: subprocess.run(argv, check=True), runs)


def available_sandbox_modes() -> list[str]:
    """The containment modes that work on this machine, strongest first."""
    from oci_interpreter.sandbox import containment

    modes: list[str] = []
    for kind in containment.KINDS:
        try:
            if containment.probe(kind.mode).mode == kind.mode:
                modes.append(kind.mode)
        except Exception:
            pass
    return modes


def measure_sandbox(*, sandbox: str = "auto", runs: int = 20, cells: int = 100,
                    baseline: float | None = None) -> dict[str, Any]:
    """A fresh contained run of ``pass`` and a ``pass`` kernel cell, against
    ``python -c pass`` (measured here unless ``baseline`` is given); medians."""
    from oci_interpreter.sandbox import containment
    from oci_interpreter.sandbox.kernel import Kernel
    from oci_interpreter.sandbox.runner import run_program

    mode = containment.probe(sandbox).mode
    base = python_c_pass(runs) if baseline is None else baseline
    with tempfile.TemporaryDirectory(prefix="oci-bench-") as work:
        fresh = timed(lambda: run_program(code="pass", cwd=work, sandbox=mode), runs)
        with Kernel(work, sandbox=mode) as kernel:
            kernel.execute("pass")
            cell = timed(lambda: kernel.execute("pass"), cells)
            start = time.perf_counter()
            kernel.restart()  # returns when the new kernel is ready
            restart = time.perf_counter() - start
    return {
        "mode": mode,
        "python_c_pass_s": base,
        "fresh_run_s": fresh,
        "kernel_cell_s": cell,
        "kernel_restart_s": restart,
        "fresh_run_ratio": fresh / base,
        "kernel_cell_ratio": cell / base,
        "kernel_restart_ratio": restart / base,
    }


def measure_startup(*, runs: int = 5, baseline: float | None = None) -> dict[str, float]:
    """Median seconds of ``python -m oci_interpreter --help``, against ``python -c pass``."""
    argv = [sys.executable, "-m", "oci_interpreter", "--help"]
    base = python_c_pass(max(runs, 5)) if baseline is None else baseline
    seconds = timed(lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL), runs)
    return {"help_startup_s": seconds, "python_c_pass_s": base,
            "help_startup_ratio": seconds / base}


CHAT_TASK = "Compute the sum of the squares of the integers from 1 to 100 and print it.\n/exit\n"


def measure_chat_rss(model: str | Path, *, args: Sequence[str] = (),
                     timeout: float = 300.0, task: str = CHAT_TASK,
                     n_ctx: int | None = None) -> dict[str, Any]:
    """Peak resident memory of one ``oci chat --yes`` turn, in a child process, and how
    long the user waits: from the command's start to its banner (imports and the model
    loaded) and to the first line of the reply.

    ``model`` is what ``--model`` takes (a .gguf path, a catalog name, ``fake:FILE``);
    the ratios to the model file (and to the weights plus the KV cache for ``n_ctx``
    tokens) need a path. The task goes in on stdin (a pipe: programs run because of
    ``--yes``) followed by ``/exit``; the child runs in a temporary directory with its own
    OCI_HOME so nothing lands in the user's saved sessions. The peak is the child's VmHWM,
    read while it runs (where there is no /proc: ``ru_maxrss``, which also counts what the
    child held between fork and exec, a copy of this process's memory). Through
    a pipe the reply appears a line at a time, so "first line" is the time to the first
    token plus that line's few tokens.
    """
    import threading

    model_size = os.path.getsize(model) if os.path.isfile(model) else None
    kv_bytes: int | None = None
    if model_size is not None and n_ctx:
        from oci_interpreter.core import gguf_meta

        kv_bytes = gguf_meta.read_header(model).kv_cache_bytes(n_ctx)
    lines: list[float] = []  # when each non-empty stdout line arrived
    with tempfile.TemporaryDirectory(prefix="oci-bench-rss-") as tmp:
        work, home = Path(tmp) / "work", Path(tmp) / "home"
        work.mkdir()
        home.mkdir()
        argv = [sys.executable, "-m", "oci_interpreter", "chat", "--yes", "--model", str(model),
                "--cwd", str(work), *args]
        # A wide console: the banner is one line, so the reply's first line is the second.
        env = {**os.environ, "OCI_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "1000"}
        log = Path(tmp) / "stderr.txt"
        start = time.perf_counter()
        with log.open("wb") as err:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=err, env=env, start_new_session=True)
            assert proc.stdin is not None and proc.stdout is not None
            stdout = proc.stdout

            def read() -> None:
                for raw in stdout:
                    if raw.strip():
                        lines.append(time.perf_counter() - start)

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            try:
                proc.stdin.write(task.encode())
                proc.stdin.close()
            except BrokenPipeError:
                pass
            deadline = start + timeout
            hwm = 0  # the child's own high-water mark, while it lives (Linux)
            while True:
                hwm = max(hwm, _vm_hwm(proc.pid))
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    os.killpg(proc.pid, 9)
                    os.wait4(proc.pid, 0)
                    raise TimeoutError(f"oci chat did not finish within {timeout:.0f} s")
                time.sleep(0.05)
            reader.join(5)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # reaped by wait4; keep Popen from waiting again
        if code != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"oci chat exited with {code}: {' / '.join(tail)}")
    # ru_maxrss is no good here on Linux: it includes the RSS the child had between fork
    # and exec, a copy of this process's (which holds a model: 2.0 GB reported for a
    # 1.5 GB chat). VmHWM belongs to the exec'd program's own memory.
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    rss = hwm if hwm else usage.ru_maxrss * scale
    mib = 1024 * 1024
    budget = model_size + kv_bytes if model_size and kv_bytes else None
    return {"peak_rss_mib": rss / mib,
            "model_file_mib": model_size / mib if model_size else None,
            "rss_vs_model_file": rss / model_size if model_size else None,
            "kv_cache_mib": kv_bytes / mib if kv_bytes else None,
            "rss_vs_weights_and_kv": rss / budget if budget else None,
            "startup_to_banner_s": lines[0] if lines else None,
            "startup_to_first_reply_line_s": lines[1] if len(lines) > 1 else None,
            "seconds": seconds}


def _vm_hwm(pid: int) -> int:
    """Peak resident bytes of process ``pid`` since its exec (Linux), or 0."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


# --- everything -----------------------------------------------------------------------------

def _quiet(_line: str) -> None:
    pass


def measure(backend: LlamaBackend, *, model_path: str, parts: set[str] | None = None,
            history_lengths: tuple[int, ...] = (500, 2000, 6000),
            progress: Callable[[str], None] | None = None,
            decode_tokens: int = 128, repeats: int = 5, bandwidth_mib: int = 512,
            sandbox_runs: int = 20, sandbox_cells: int = 100, startup_runs: int = 5,
            rss_timeout: float = 300.0) -> SpeedReport:
    """Measure the selected ``parts`` (default: all of PARTS) on ``backend``'s model.

    ``progress`` gets one-line status strings. A part that fails is None in the report
    with the reason in ``errors``; one not selected or not applicable, in ``skipped``.
    """
    chosen = set(PARTS) if parts is None else set(parts)
    unknown = chosen - set(PARTS)
    if unknown:
        raise UsageError(f"unknown speed part(s): {', '.join(sorted(unknown))}",
                         f"Use some of: {', '.join(PARTS)}.")
    say = progress or _quiet
    began = time.perf_counter()
    report = SpeedReport(model=backend.info.name, model_path=str(model_path))
    for part in PARTS:
        if part not in chosen:
            report.skipped[part] = "not selected"

    def attempt(part: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:
            report.errors[part] = f"{type(exc).__name__}: {exc}"

    def machine() -> None:
        report.machine = describe_machine(backend)

    def ceiling() -> None:
        threads = usable_cpus()
        say(f"speed: memory bandwidth ({threads} threads, {bandwidth_mib} MiB)")
        report.bandwidth_threads = threads
        report.memory_bandwidth_gb_s = memory_bandwidth(threads=threads, size_mib=bandwidth_mib)
        report.weight_bytes_per_token = backend.header.weight_bytes_per_token()
        if backend.info.gpu_layers != 0 and report.machine.get("gpu_offload"):
            report.skipped["ceiling"] = ("the weights are in GPU memory: this machine's memory "
                                         "bandwidth is not their limit")
            return
        report.ceiling_tokens_per_s = (report.memory_bandwidth_gb_s * 1e9
                                       / report.weight_bytes_per_token)

    def decode() -> None:
        d = measure_decode(backend, max_tokens=decode_tokens, repeats=repeats, progress=say)
        report.decode = d
        report.decode_tokens_per_s = d["decode_tokens_per_s"]
        report.engine_decode_tokens_per_s = d["engine_decode_tokens_per_s"]
        report.prompt_tokens_per_s = d["prompt_tokens_per_s"]
        report.engine_prompt_tokens_per_s = d["engine_prompt_tokens_per_s"]
        report.decode_ratio_vs_engine = d["decode_ratio_vs_engine"]
        report.decode_step_ratio_vs_engine = d["step_ratio_vs_engine"]
        report.prompt_ratio_vs_engine = d["prompt_ratio_vs_engine"]

    def followup() -> None:
        report.followup_ttft_s = measure_followup(backend, history_lengths, progress=say)
        for length, row in report.followup_ttft_s.items():
            if "skipped" in row:
                report.skipped[f"followup:{length}"] = row["skipped"]

    def sandbox() -> None:
        say("speed: sandbox overhead (fresh run, kernel cell)")
        report.sandbox = measure_sandbox(runs=sandbox_runs, cells=sandbox_cells,
                                         baseline=report.python_c_pass_s)
        report.python_c_pass_s = report.sandbox["python_c_pass_s"]

    def startup() -> None:
        say("speed: `oci --help` start-up")
        s = measure_startup(runs=startup_runs, baseline=report.python_c_pass_s)
        report.python_c_pass_s = s["python_c_pass_s"]
        report.help_startup_s = s["help_startup_s"]
        report.help_startup_ratio = s["help_startup_ratio"]

    def rss() -> None:
        say("speed: peak memory of an `oci chat` turn (child process)")
        info = backend.info
        args = ["--threads", str(info.threads), "--n-ctx", str(info.n_ctx),
                "--gpu-layers", str(info.gpu_layers)]
        r = measure_chat_rss(model_path, args=args, timeout=rss_timeout, n_ctx=info.n_ctx)
        report.chat_turn_peak_rss_mib = r["peak_rss_mib"]
        report.model_file_mib = r["model_file_mib"]
        report.chat_turn_rss_vs_model_file = r["rss_vs_model_file"]
        report.kv_cache_mib = r["kv_cache_mib"]
        report.chat_turn_rss_vs_weights_and_kv = r["rss_vs_weights_and_kv"]
        report.chat_startup_to_banner_s = r["startup_to_banner_s"]
        report.chat_startup_to_first_reply_line_s = r["startup_to_first_reply_line_s"]

    attempt("machine", machine)
    steps: dict[str, Callable[[], None]] = {
        "ceiling": ceiling, "decode": decode, "followup": followup,
        "sandbox": sandbox, "startup": startup, "rss": rss,
    }
    for part in PARTS:
        if part in chosen:
            attempt(part, steps[part])
    if report.decode_tokens_per_s and report.ceiling_tokens_per_s:
        report.decode_fraction_of_ceiling = report.decode_tokens_per_s / report.ceiling_tokens_per_s
    report.wall_seconds = time.perf_counter() - began
    return report
