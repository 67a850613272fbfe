"""In-process llama.cpp backend, through llama-cpp-python.

This is the only module that imports ``llama_cpp``, and only when a model is
loaded, so ``oci --help`` never pays for it.

- Prompts are rendered with the GGUF file's own chat template (or oci's for
  the DeepSeek-Coder family when the file's is missing or old), tokenized once,
  and generated with ``Llama.generate``, which reuses the KV cache for the
  longest common prefix with the previous call: a follow-up turn evaluates only
  the new tokens as long as the rendered history is stable.
- Cancellation: between tokens the loop polls the cancel token; during prompt
  evaluation (one long C call) llama.cpp's abort callback polls it, so Ctrl-C
  stops a long prefill within a fraction of a second and the model stays usable.
- llama.cpp's log is captured (not printed unless verbose) so a load failure
  can say *why* (llama-cpp-python only raises "Failed to load model from file").
"""

from __future__ import annotations

import codecs
import collections
import ctypes
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from oci_interpreter.backend import templates
from oci_interpreter.backend.base import (
    Backend,
    Completion,
    GenerationOptions,
    GenerationStats,
    Message,
    ModelInfo,
)
from oci_interpreter.core import gguf_meta
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import (
    ContextOverflowError,
    ModelError,
    ModelFileError,
    ModelTooLargeError,
)

_LOG_LINES: collections.deque[str] = collections.deque(maxlen=200)
_LOG_LOCK = threading.Lock()
_LOG_STATE: dict[str, Any] = {"installed": False, "verbose": False, "callback": None}


def _llama_cpp() -> Any:
    """Import llama_cpp lazily and route its log through oci."""
    try:
        import llama_cpp
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError(
            f"llama-cpp-python is not installed or failed to import ({exc})",
            "Install it with: pip install llama-cpp-python (see the README for GPU builds).",
        ) from None
    if not _LOG_STATE["installed"]:
        _install_log_capture(llama_cpp)
    return llama_cpp


def _install_log_capture(llama_cpp: Any) -> None:
    import sys

    partial: list[str] = []

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        message = text.decode("utf-8", errors="replace")
        if _LOG_STATE["verbose"]:
            print(message, end="", file=sys.stderr, flush=True)
        with _LOG_LOCK:
            partial.append(message)
            if message.endswith("\n"):
                line = "".join(partial).strip()
                partial.clear()
                if line:
                    _LOG_LINES.append(line)

    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    _LOG_STATE["callback"] = callback  # keep a reference: C holds only a pointer
    _LOG_STATE["installed"] = True


def _load_failure_reason() -> str:
    """The most telling line llama.cpp logged while failing to load a model."""
    with _LOG_LOCK:
        lines = list(_LOG_LINES)
    keywords = ("error", "failed", "invalid", "not within", "out of bounds", "unknown",
                "corrupt", "unsupported", "wrong", "missing", "exceed")
    for line in reversed(lines):
        low = line.lower()
        if any(k in low for k in keywords) and "failed to load model" not in low:
            return line.split(": ", 1)[-1] if line.startswith(("llama_", "gguf_")) else line
    return lines[-1] if lines else "no reason given by llama.cpp"


def physical_cores() -> int:
    import psutil

    physical = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        usable = physical
    return max(1, min(physical, usable))


def busy_cores(sample_s: float = 0.15) -> int:
    """Cores other work keeps busy right now: the smaller of the 1-minute load average and
    the CPU use over a short sample (the load average lags; a sample alone is noisy)."""
    import psutil

    logical = psutil.cpu_count() or os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):  # pragma: no cover - Windows
        load = float(logical)
    now = psutil.cpu_percent(interval=sample_s) / 100 * logical
    return max(0, int(min(load, now) + 0.5))


def choose_threads(setting: int, gpu_layers: int) -> tuple[int, str]:
    """Threads for llama.cpp, and a note when fewer than the cores were chosen.

    llama.cpp's threads spin while they wait for each other: with more threads than free
    cores, generation collapses (0.7 instead of 48 tokens/s, measured on 2 cores with
    another process busy). So with ``threads = 0`` oci takes the physical cores that are
    free at start; ``--threads N`` forces N."""
    cores = physical_cores()
    if setting > 0:
        return setting, ""
    if gpu_layers != 0:  # the GPU does the work; the CPU threads mostly wait
        return cores, ""
    free = max(1, cores - busy_cores())
    if free >= cores:
        return cores, ""
    return free, (f"using {free} of {cores} cores: the others are busy "
                  "(--threads N chooses)")


def gpu_offload_supported() -> bool:
    return bool(_llama_cpp().llama_supports_gpu_offload())


_ACCELERATORS = ("CUDA", "Metal", "Vulkan", "HIP", "ROCm", "SYCL", "OpenCL", "CANN", "MUSA")


def engine_info() -> dict[str, Any]:
    """What this llama.cpp build can use, for benchmark reports.

    ``version`` (llama-cpp-python's), ``gpu_offload`` (llama_supports_gpu_offload),
    ``accelerators`` (GPU backends named in llama_print_system_info, e.g. ``["CUDA"]``),
    ``cpu_features`` (the CPU features it was built with and found, e.g. ``["AVX2"]``).
    """
    llama_cpp = _llama_cpp()
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    accelerators = [name for name in _ACCELERATORS if re.search(rf"\b{name}\b", info)]
    cpu_part = re.search(r"CPU :((?:\s*\w+ = \w+ \|)*)", info)  # "CPU : AVX = 1 | ..."
    features = re.findall(r"(\w+) = 1\b", cpu_part.group(1)) if cpu_part else []
    return {
        "version": str(getattr(llama_cpp, "__version__", "unknown")),
        "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
        "accelerators": accelerators,
        "cpu_features": features,
    }


class LlamaBackend(Backend):
    """A GGUF model loaded in this process. Not ``parallel``: one request at a time."""

    def __init__(self, path: str | Path, settings: Settings, family: str = "auto",
                 name: str | None = None) -> None:
        path = Path(path).expanduser()
        header = gguf_meta.validate(path)
        llama_cpp = _llama_cpp()
        _LOG_STATE["verbose"] = settings.verbose

        gpu = settings.gpu_layers
        if gpu < 0:
            gpu = -1 if llama_cpp.llama_supports_gpu_offload() else 0
        _check_memory(header, gpu)

        n_ctx_train = header.context_length or settings.n_ctx
        n_ctx = min(settings.n_ctx, n_ctx_train)
        threads, threads_note = choose_threads(settings.threads, gpu)

        from llama_cpp import Llama

        with _LOG_LOCK:
            _LOG_LINES.clear()
        restore = _avoid_amx_buffers(llama_cpp)
        try:
            self.llm = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_batch=512,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=gpu,
                flash_attn=settings.flash_attn,
                use_mmap=_use_mmap(settings.mmap, gpu),
                seed=settings.seed,
                verbose=settings.verbose,
            )
        except (ValueError, RuntimeError) as exc:
            reason = _load_failure_reason()
            raise ModelFileError(
                f"llama.cpp could not load {path}: {reason}",
                "Check that the file is a complete GGUF for a supported architecture "
                f"(llama.cpp said: {str(exc)[:80]}).",
            ) from None
        finally:
            restore()

        self.header = header
        self._template, self._stops, chat_format = _pick_template(header, family)
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        vocab = self.llm._model.vocab
        bos_id, eos_id = self.llm.token_bos(), self.llm.token_eos()
        self._bos_text = self._piece(bos_id) if bos_id >= 0 else ""
        self._eos_text = self._piece(eos_id) if eos_id >= 0 else ""
        self._formatter = Jinja2ChatFormatter(
            template=self._template, eos_token=self._eos_text, bos_token=self._bos_text
        )
        self._add_bos = bool(llama_cpp.llama_vocab_get_add_bos(vocab))
        self._bos_id = bos_id
        self._is_eog = lambda tok: bool(llama_cpp.llama_vocab_is_eog(vocab, tok))

        self._cancel: CancelToken | None = None
        self._abort_cb = llama_cpp.ggml_abort_callback(self._should_abort)
        self._llama_cpp = llama_cpp

        self.info = ModelInfo(
            name=name or header.name,
            path=str(path),
            n_ctx=self.llm.n_ctx(),
            n_ctx_train=n_ctx_train,
            gpu_layers=gpu,
            threads=threads,
            chat_format=chat_format,
            family="deepseek-coder" if "deepseek" in chat_format else family,
            note=threads_note,
        )

    # --- prompt -----------------------------------------------------------------------

    def _piece(self, token: int) -> str:
        return self.llm._model.token_to_piece(token, special=True).rstrip(b"\0").decode(
            "utf-8", errors="replace"
        )

    def render(self, messages: Sequence[Message]) -> str:
        payload: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        result = self._formatter(messages=payload)
        return str(result.prompt)

    def tokenize_prompt(self, messages: Sequence[Message]) -> list[int]:
        text = self.render(messages)
        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if self._add_bos and self._bos_id >= 0 and (not tokens or tokens[0] != self._bos_id):
            tokens.insert(0, self._bos_id)
        return list(tokens)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return len(self.tokenize_prompt(messages))

    # --- generation -------------------------------------------------------------------

    def _should_abort(self, _data: ctypes.c_void_p) -> bool:
        cancel = self._cancel
        return bool(cancel is not None and cancel.cancelled)

    def _set_abort(self, on: bool) -> None:
        cb = self._abort_cb if on else self._llama_cpp.ggml_abort_callback()
        self._llama_cpp.llama_set_abort_callback(self.llm._ctx.ctx, cb, None)

    def cached_prefix(self, tokens: Sequence[int]) -> int:
        """How many leading tokens of ``tokens`` are already in the KV cache."""
        cached = self.llm._input_ids
        n = 0
        for a, b in zip(cached, tokens, strict=False):
            if a != b:
                break
            n += 1
        # llama-cpp-python replays the last prompt token when the whole prompt is cached
        return min(n, len(tokens) - 1) if tokens else 0

    def chat(
        self,
        messages: Sequence[Message],
        options: GenerationOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        options = options or GenerationOptions()
        tokens = self.tokenize_prompt(messages)
        n_ctx = self.info.n_ctx
        if len(tokens) >= n_ctx:
            raise ContextOverflowError(
                f"the prompt needs {len(tokens):,} tokens but the context holds {n_ctx:,}",
                "Shorten the input, start a new conversation, or raise n_ctx "
                f"(--n-ctx; this model was trained for {self.info.n_ctx_train:,}).",
            )
        stats = GenerationStats(prompt_tokens=len(tokens))
        stats.prompt_tokens_reused = self.cached_prefix(tokens)
        stats.prompt_tokens_evaluated = len(tokens) - stats.prompt_tokens_reused
        max_new = min(options.max_tokens, n_ctx - len(tokens))
        stops = tuple(dict.fromkeys((*self._stops, *options.stop)))
        return Completion(self._stream(tokens, options, stops, max_new, stats, cancel), stats)

    def _stream(self, tokens: list[int], options: GenerationOptions, stops: tuple[str, ...],
                max_new: int, stats: GenerationStats,
                cancel: CancelToken | None) -> Iterator[str]:
        llm = self.llm
        llm.set_seed(options.seed)
        self._cancel = cancel
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        held = ""  # text not yet emitted: it may be the start of a stop string
        hold = max((len(s) for s in stops), default=1) - 1
        start = time.perf_counter()
        first_token_at: float | None = None
        self._set_abort(cancel is not None)
        gen = llm.generate(
            tokens,
            temp=options.temperature,
            top_k=options.top_k if options.temperature > 0 else 1,
            top_p=options.top_p,
            min_p=0.05 if options.temperature > 0 else 0.0,
            repeat_penalty=1.0,
            reset=True,
        )
        try:
            while True:
                try:
                    token = next(gen)
                except StopIteration:
                    stats.finish_reason = "stop"
                    break
                except RuntimeError as exc:
                    if cancel is not None and cancel.cancelled:
                        stats.finish_reason = "cancelled"
                        break
                    raise ModelError(f"llama.cpp failed during generation: {exc}") from None
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                    stats.prompt_seconds = first_token_at - start
                    if cancel is not None:
                        self._set_abort(False)  # per-token checks below are enough now
                if cancel is not None and cancel.cancelled:
                    stats.finish_reason = "cancelled"
                    break
                if self._is_eog(token):
                    stats.finish_reason = "stop"
                    break
                stats.generated_tokens += 1
                held += decoder.decode(llm._model.detokenize([token], special=False))
                cut = _find_stop(held, stops)
                if cut is not None:
                    if cut:
                        yield held[:cut]
                    held = ""
                    stats.finish_reason = "stop"
                    return
                if len(held) > hold:
                    emit, held = held[: len(held) - hold], held[len(held) - hold:]
                    yield emit
                if stats.generated_tokens >= max_new:
                    stats.finish_reason = "length"
                    break
            held += decoder.decode(b"", final=True)
            if held:
                yield held
        finally:
            gen.close()
            self._cancel = None
            if cancel is not None:
                self._set_abort(False)
            end = time.perf_counter()
            if first_token_at is None:
                stats.prompt_seconds = end - start
            else:
                stats.generate_seconds = end - first_token_at

    # --- benchmark hooks (oci bench speed) -------------------------------------------------

    def drop_cache(self) -> None:
        """Forget the KV cache: the next call evaluates its whole prompt (no prefix reuse)."""
        self.llm.reset()  # n_tokens = 0: generate() skips the prefix match, eval() clears all

    def engine_generate(self, tokens: Sequence[int], max_tokens: int,
                        token_times: list[float] | None = None) -> tuple[float, float, int]:
        """The raw engine on this same model: the baseline oci's ``chat`` is measured against.

        llama-cpp-python's ``generate`` with the greedy parameters ``chat`` uses at
        temperature 0, stopping at an end-of-generation token or ``max_tokens`` -- no
        detokenizing, no stop strings, no cancel checks. Timed like ``GenerationStats``:
        returns ``(prompt_seconds, decode_seconds, generated_tokens)``, where prompt_seconds
        is the time to the first token and decode_seconds runs from it to the end.
        Like ``chat``, it reuses the KV cache for a common prefix; call ``drop_cache`` first
        to time a full prompt evaluation. ``token_times`` gets the perf_counter time of
        each generated token.
        """
        defaults = GenerationOptions()
        is_eog = self._is_eog
        n = 0
        first_token_at: float | None = None
        start = time.perf_counter()
        gen = self.llm.generate(
            list(tokens), temp=0.0, top_k=1, top_p=defaults.top_p, min_p=0.0,
            repeat_penalty=1.0, reset=True,
        )
        try:
            for token in gen:
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                if is_eog(token):
                    break
                n += 1
                if token_times is not None:
                    token_times.append(time.perf_counter())
                if n >= max_tokens:
                    break
        finally:
            gen.close()
        end = time.perf_counter()
        if first_token_at is None:
            return end - start, 0.0, 0
        return first_token_at - start, end - first_token_at, n

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is not None:
            llm.close()
            self.llm = None  # type: ignore[assignment]


def _find_stop(text: str, stops: Sequence[str]) -> int | None:
    positions = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(positions) if positions else None


def _pick_template(header: gguf_meta.GGUFHeader, family: str) -> tuple[str, tuple[str, ...], str]:
    own = header.chat_template
    name = (header.name + " " + str(header.metadata.get("general.basename", ""))).lower()
    deepseek_family = family == "deepseek-coder" or (
        family == "auto" and ("opencodeinterpreter-ds" in name.replace(" ", "-")
                              or "deepseek-coder" in name.replace(" ", "-"))
    )
    if deepseek_family:
        if own and "### Instruction" in own and "<|EOT|>" in own:
            return own, templates.DEEPSEEK_CODER_STOPS, "gguf template (deepseek-coder)"
        return templates.DEEPSEEK_CODER, templates.DEEPSEEK_CODER_STOPS, "deepseek-coder (oci)"
    if own:
        return own, (), "gguf template"
    return templates.CHATML, templates.CHATML_STOPS, "chatml (fallback: file has no template)"


def use_mmap_for(settings: Settings) -> bool:
    """Whether a model loaded with ``settings`` maps its file (see :func:`_use_mmap`)."""
    gpu = settings.gpu_layers
    if settings.mmap == "auto" and gpu < 0:
        gpu = -1 if _llama_cpp().llama_supports_gpu_offload() else 0
    return _use_mmap(settings.mmap, gpu)


def _use_mmap(setting: str, gpu_layers: int) -> bool:
    """Map the file only where it pays (``mmap = "auto"``): with layers on a GPU.

    On the CPU, llama.cpp copies most weights into its repacked buffers when it loads;
    with the file mapped, the pages it read them from stay resident beside that copy
    (the 1.5B default: 2.0 GB peak instead of 1.4 GB, docs/benchmarks.md). Reading the
    file instead keeps one copy. With a GPU, mapping lets Metal use the file's pages as
    they are and CUDA read them once for the upload.
    """
    if setting in ("on", "off"):
        return setting == "on"
    return gpu_layers != 0


def _avoid_amx_buffers(llama_cpp: Any) -> Any:
    """Keep llama.cpp off its AMX weight buffers, which crash llama_decode on some CPUs/VMs.

    A llama.cpp compiled with AMX (``-march=native`` on a CPU that advertises it) puts
    weights in AMX buffers when the model loads; on the machines oci is tested on that
    segfaults at the first decode. The Quickstart builds without AMX; for any other
    build that has it, the model loads without extra buffer types (no AMX, no repack),
    which costs a few percent of speed instead of a crash. Returns an undo function.
    """
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    if "AMX_INT8 = 1" not in info or os.environ.get("OCI_ALLOW_AMX") == "1":
        return lambda: None
    module = llama_cpp.llama_cpp if hasattr(llama_cpp, "llama_cpp") else llama_cpp
    original = module.llama_model_default_params

    def params_without_extra_buffers() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    module.llama_model_default_params = params_without_extra_buffers

    def restore() -> None:
        module.llama_model_default_params = original

    return restore


def _check_memory(header: gguf_meta.GGUFHeader, gpu_layers: int) -> None:
    """Refuse a CPU model that cannot fit in this machine's memory, with a clear line."""
    if gpu_layers != 0:
        return
    import psutil

    total = psutil.virtual_memory().total
    if header.file_size > 0.9 * total:
        gib = 1024**3
        raise ModelTooLargeError(
            f"{header.path.name} needs about {header.file_size / gib:.1f} GiB but this machine "
            f"has {total / gib:.1f} GiB of memory",
            "Use a smaller model or quantization (see `oci models list`), or a GPU build.",
        )
