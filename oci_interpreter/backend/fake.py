"""A scripted backend for tests of the higher layers (like simonw/llm's MockModel)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Sequence

from oci_interpreter.backend.base import (
    Backend,
    Completion,
    GenerationOptions,
    GenerationStats,
    Message,
    ModelInfo,
)
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.errors import ContextOverflowError


class FakeBackend(Backend):
    """Replies with queued texts, in order; records every prompt it was given.

    ``enqueue("reply")`` queues a reply; when the queue is empty it answers
    ``default_reply``. Replies stream word by word so renderers see many chunks.
    """

    def __init__(self, replies: Sequence[str] = (), n_ctx: int = 8192,
                 default_reply: str = "OK.", word_delay_s: float = 0.0) -> None:
        self.replies: deque[str] = deque(replies)
        self.calls: list[list[Message]] = []
        self.options: list[GenerationOptions] = []
        """The generation options of each call (temperature, seed, stop strings...)."""
        self.default_reply = default_reply
        self.word_delay_s = word_delay_s
        """Seconds before each word: a slow model, for tests that interrupt a reply."""
        self.info = ModelInfo(
            name="fake", path="<fake>", n_ctx=n_ctx, n_ctx_train=n_ctx,
            gpu_layers=0, threads=1, chat_format="fake",
        )
        self._cached: list[Message] = []
        self.closed = False

    def enqueue(self, *replies: str) -> None:
        self.replies.extend(replies)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        # A rough stand-in for a tokenizer: one token per four characters.
        return sum(len(m.content) // 4 + 4 for m in messages)

    def chat(
        self,
        messages: Sequence[Message],
        options: GenerationOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        options = options or GenerationOptions()
        messages = list(messages)
        prompt_tokens = self.count_tokens(messages)
        if prompt_tokens >= self.info.n_ctx:
            raise ContextOverflowError(
                f"the prompt needs {prompt_tokens} tokens but the context holds {self.info.n_ctx}"
            )
        self.calls.append(messages)
        self.options.append(options)
        reply = self.replies.popleft() if self.replies else self.default_reply
        cuts = [i for i in (reply.find(stop) for stop in options.stop if stop) if i >= 0]
        if cuts:  # like a real model: the reply ends where a stop string starts
            reply = reply[:min(cuts)]
        reused = 0
        for old, new in zip(self._cached, messages, strict=False):
            if old != new:
                break
            reused += 1
        stats = GenerationStats(
            prompt_tokens=prompt_tokens,
            prompt_tokens_reused=self.count_tokens(messages[:reused]),
        )
        stats.prompt_tokens_evaluated = stats.prompt_tokens - stats.prompt_tokens_reused
        self._cached = [*messages, Message("assistant", reply)]

        def stream() -> Iterator[str]:
            start = time.perf_counter()
            words = reply.split(" ")
            for i, word in enumerate(words):
                if cancel is not None and cancel.cancelled:
                    stats.finish_reason = "cancelled"
                    break
                if i >= options.max_tokens:
                    stats.finish_reason = "length"
                    break
                if self.word_delay_s:
                    time.sleep(self.word_delay_s)
                    if cancel is not None and cancel.cancelled:
                        stats.finish_reason = "cancelled"
                        break
                stats.generated_tokens += 1
                yield word if i == len(words) - 1 else word + " "
            else:
                stats.finish_reason = "stop"
            stats.generate_seconds = time.perf_counter() - start

        return Completion(stream(), stats)

    def close(self) -> None:
        self.closed = True
