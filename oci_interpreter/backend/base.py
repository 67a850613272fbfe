"""The backend interface every model implementation provides."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from oci_interpreter.core.cancel import CancelToken

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    temperature: float = 0.0
    seed: int = 1234
    max_tokens: int = 1024
    top_p: float = 0.95
    top_k: int = 40
    stop: tuple[str, ...] = ()


@dataclass
class GenerationStats:
    """What one call cost: filled in as generation proceeds, final when it ends."""

    prompt_tokens: int = 0
    """Tokens in the rendered prompt."""
    prompt_tokens_reused: int = 0
    """Of those, already in the KV cache from an earlier call (not evaluated again)."""
    prompt_tokens_evaluated: int = 0
    generated_tokens: int = 0
    prompt_seconds: float = 0.0
    generate_seconds: float = 0.0
    finish_reason: Literal["stop", "length", "cancelled", "repetition", ""] = ""
    """``repetition``: oci cut a reply that kept repeating itself."""

    @property
    def tokens_per_second(self) -> float:
        return self.generated_tokens / self.generate_seconds if self.generate_seconds else 0.0


@dataclass
class Completion:
    """A streamed reply: iterate for text chunks; ``stats`` is complete afterwards."""

    chunks: Iterator[str]
    stats: GenerationStats = field(default_factory=GenerationStats)

    def __iter__(self) -> Iterator[str]:
        return self.chunks

    def text(self) -> str:
        return "".join(self.chunks)

    def close(self) -> None:
        """Stop early: the backend stops generating (a generator's ``close``)."""
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    n_ctx: int
    n_ctx_train: int
    gpu_layers: int
    threads: int
    chat_format: str
    family: str = "auto"
    """Model family (``deepseek-coder``, ``qwen``, ``auto``): picks the prompt set."""
    note: str = ""
    """Something the user should know about how it runs (fewer threads: busy cores)."""


@runtime_checkable
class Backend(Protocol):
    """A chat model: what the layers above use of one, and nothing else.

    A backend subclasses this protocol and inherits the defaults (``parallel``). Implementations:
    LlamaBackend (in process), ServerBackend (an OpenAI-compatible server), FakeBackend
    (tests), bench's ReplayBackend (a wrapper).
    """

    info: ModelInfo
    parallel: bool = False
    """``chat`` may be called from several threads at once and serves the calls side by side
    (``oci bench --jobs`` above 1 needs it). The in-process model answers one at a time."""

    def chat(
        self,
        messages: Sequence[Message],
        options: GenerationOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        """Stream the assistant's reply to ``messages``.

        Raises ContextOverflowError when the prompt does not fit the context.
        Cancellation ends the stream early with ``finish_reason == "cancelled"``.
        """
        ...

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens of the rendered prompt for ``messages``."""
        ...

    def close(self) -> None: ...
