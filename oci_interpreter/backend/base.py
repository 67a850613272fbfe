"""The backend interface every model implementation provides."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.config import default_of

if TYPE_CHECKING:
    from oci_interpreter.core.config import Settings

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    """How one reply is sampled. The first three are settings: their defaults are the
    settings' (core/config.py), and :meth:`from_settings` is how every command makes them."""

    temperature: float = default_of("temperature")
    seed: int = default_of("seed")
    max_tokens: int = default_of("max_tokens")
    top_p: float = 0.95
    top_k: int = 40
    stop: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> GenerationOptions:
        """The generation the configuration (file, OCI_* variables, flags) asks for."""
        return cls(temperature=settings.temperature, seed=settings.seed,
                   max_tokens=settings.max_tokens)


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
