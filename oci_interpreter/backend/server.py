"""A model behind an OpenAI-compatible server (llama-server, vLLM, Ollama, llama-cpp-python's).

The same interface as the in-process backend, so every command works unchanged:

- ``chat`` streams ``POST {base}/chat/completions`` over server-sent events (httpx +
  httpx-sse). A reader thread owns the HTTP stream and hands events over a queue, so the
  caller polls its cancel token every 0.1 s even while the server is still evaluating a
  long prompt; cancelling closes the stream, which makes the server stop generating.
- Failures before the first event are retried (server starting, 502/503/504, 429), then
  reported as one line that says what to do; a stream that breaks off mid-reply is
  reported, not retried (the reply was already shown).
- llama-server is asked to keep the prompt in its cache (``cache_prompt``), and its
  ``timings`` (tokens taken from the cache, prompt and decode times) fill the stats;
  other servers' ``usage`` gives the token counts and the clock gives the times.
- ``count_tokens`` uses the server's tokenizer when it has one (llama-server's
  ``/tokenize``, llama-cpp-python's ``/extras/tokenize``), else a conservative estimate.
- The API key comes from an environment variable (``OCI_API_KEY`` unless the
  ``api_key_env`` setting names another) and goes only into the Authorization header:
  never into settings, logs, errors or ``repr``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from oci_interpreter.backend.base import (
    Backend,
    Completion,
    GenerationOptions,
    GenerationStats,
    Message,
    ModelInfo,
)
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import (
    ContextOverflowError,
    ModelNotFoundError,
    ServerError,
    UsageError,
)

RETRIES = 3
"""Attempts after the first for failures before any reply text (connect, 429, 502-504)."""
BACKOFF_S = 0.25
"""First wait between attempts; doubles each time."""
POLL_S = 0.1
"""How often a waiting caller looks at its cancel token."""
_RETRY_STATUS = {429, 502, 503, 504}
# Fields some servers know and a strict OpenAI-compatible server may refuse: sent until a
# server refuses one, then left out for that server.
_EXTRA_FIELDS = ("cache_prompt", "top_k", "stream_options")
_CONTEXT_WORDS = ("context length", "context window", "context size", "context_length",
                  "exceed_context", "maximum context", "too long", "too many tokens", "n_ctx")


def normalize_base_url(url: str) -> str:
    """``http://host:port`` -> ``http://host:port/v1``; other paths are kept as given."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--base-url {url!r} is not an http(s) URL",
                         "Give the server's API address, e.g. http://127.0.0.1:8080/v1.")
    path = parts.path.rstrip("/")
    if not path:
        path = "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def api_key_from_env(settings: Settings, environ: Any = None) -> str | None:
    env = os.environ if environ is None else environ
    value = env.get(settings.api_key_env, "").strip()
    return value or None


def guess_family(model_name: str) -> str:
    """The prompt set for a server's model name: oci's DeepSeek-Coder set for that family."""
    low = model_name.lower()
    if "deepseek" in low or "opencodeinterpreter" in low:
        return "deepseek-coder"
    return "auto"


@dataclass(frozen=True)
class _Item:
    kind: str  # "started", "event", "end", "error"
    value: Any = None


class ServerBackend(Backend):
    """A chat model served over HTTP. Thread-safe: ``parallel`` requests are fine."""

    parallel = True
    """Requests may overlap (``oci bench --jobs``); the server batches or queues them."""

    def __init__(self, base_url: str, settings: Settings, *, model: str | None = None,
                 api_key: str | None = None, retries: int = RETRIES,
                 backoff_s: float = BACKOFF_S) -> None:
        import httpx

        self.base_url = normalize_base_url(base_url)
        parts = urlsplit(self.base_url)
        self._root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        self._api_key = api_key
        self._api_key_env = settings.api_key_env
        self._retries = retries
        self._backoff_s = backoff_s
        self._timeout_s = settings.server_timeout
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(connect=10.0, read=settings.server_timeout, write=60.0,
                                  pool=settings.server_timeout),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )
        self._refused: set[str] = set()
        self._token_cache: dict[str, int] = {}
        self._tokenizer: str | None = None  # "llama-server", "llama-cpp-python", "estimate"
        self._lock = threading.Lock()
        try:
            models = self._models()
            name, meta = self._pick_model(models, model)
            n_ctx = self._context_size(meta) or settings.n_ctx
        except BaseException:
            self._client.close()
            raise
        self.model = name
        self.info = ModelInfo(
            name=name, path=self.base_url, n_ctx=n_ctx, n_ctx_train=n_ctx, gpu_layers=0,
            threads=0, chat_format="server", family=guess_family(name),
        )

    def __repr__(self) -> str:  # never the key
        return f"ServerBackend({self.base_url!r}, model={getattr(self, 'model', '?')!r})"

    # --- connecting -------------------------------------------------------------------

    def _get(self, url: str) -> Any:
        import httpx

        last: Exception | None = None
        for attempt in range(self._retries + 1):
            if attempt:
                time.sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                response = self._client.get(url, timeout=httpx.Timeout(10.0, read=30.0))
            except httpx.ConnectError as exc:
                last = exc
                continue
            except httpx.TimeoutException:
                raise self._timeout_error(30.0) from None
            except httpx.HTTPError as exc:
                raise self._transport_error(exc) from None
            if response.status_code in _RETRY_STATUS:
                if attempt < self._retries:
                    continue
                raise self._not_ready(response.status_code, response.content, attempt + 1)
            if response.status_code >= 400:
                raise self._status_error(response.status_code, response.content, url)
            try:
                return response.json()
            except ValueError:
                raise ServerError(
                    f"{url} did not answer with JSON: is {self.base_url} an "
                    "OpenAI-compatible API?",
                    "The base URL usually ends in /v1 (llama-server, vLLM, Ollama: "
                    "http://HOST:PORT/v1).") from None
        assert last is not None
        raise self._transport_error(last)

    def _models(self) -> list[dict[str, Any]]:
        data = self._get(f"{self.base_url}/models")
        models = data.get("data") if isinstance(data, dict) else None
        if not isinstance(models, list):
            # Ollama's older API and some proxies answer a bare list or {"models": [...]}
            models = data if isinstance(data, list) else (data or {}).get("models", [])
        return [m for m in models if isinstance(m, dict) and isinstance(m.get("id"), str)]

    def _pick_model(self, models: list[dict[str, Any]],
                    wanted: str | None) -> tuple[str, dict[str, Any]]:
        names = [m["id"] for m in models]
        if wanted:
            for m in models:
                if m["id"] == wanted:
                    return wanted, m
            if not names:  # a server that does not list its models: trust the name
                return wanted, {}
            raise ModelNotFoundError(
                f"the server at {self.base_url} has no model {wanted!r} "
                f"(it serves: {', '.join(names[:8])})",
                "Pick one of those with --server-model, or leave it out to use the first.")
        if not names:
            raise ModelNotFoundError(
                f"the server at {self.base_url} lists no models",
                "Name the model with --server-model (or load one into the server).")
        return names[0], models[0]

    def _context_size(self, meta: dict[str, Any]) -> int:
        """The server's context per request, when it says: llama-server's /props, vLLM's
        max_model_len. 0 when unknown (the n_ctx setting is used)."""
        import httpx

        if isinstance(meta.get("max_model_len"), int):
            return int(meta["max_model_len"])
        try:
            response = self._client.get(f"{self._root}/props", timeout=5.0)
            props = response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            return 0
        if not isinstance(props, dict):
            return 0
        settings = props.get("default_generation_settings") or {}
        n_ctx = settings.get("n_ctx") if isinstance(settings, dict) else None
        if not isinstance(n_ctx, int):
            n_ctx = props.get("n_ctx")
        total = props.get("total_slots")
        if isinstance(n_ctx, int) and n_ctx > 0:
            # llama-server splits its context between its slots (--parallel)
            if isinstance(total, int) and total > 1 and not isinstance(
                    settings.get("n_ctx"), int):
                return n_ctx // total
            return n_ctx
        return 0

    # --- errors -------------------------------------------------------------------------

    def _key_hint(self) -> str:
        var = self._api_key_env
        if self._api_key:
            return f"Check the API key in ${var}: the server did not accept it."
        return f"Put the server's API key in the environment variable {var}."

    def _transport_error(self, exc: Exception) -> ServerError:
        import httpx

        if isinstance(exc, httpx.ConnectError):
            return ServerError(
                f"no model server answers at {self.base_url} ({_reason(exc)})",
                "Start it (for example `oci serve`), or check --base-url / OCI_BASE_URL.")
        return ServerError(f"the connection to {self.base_url} failed ({_reason(exc)})",
                           "Check that the server is running and reachable, then try again.")

    def _timeout_error(self, seconds: float | None = None) -> ServerError:
        waited = self._timeout_s if seconds is None else seconds
        return ServerError(
            f"the server at {self.base_url} sent nothing for {waited:g} s",
            "It may be overloaded or evaluating a very long prompt: try again, or raise "
            "server_timeout (OCI_SERVER_TIMEOUT).")

    def _not_ready(self, status: int, body: bytes, tries: int) -> ServerError:
        said = _error_message(body)
        return ServerError(
            f"the server at {self.base_url} is not ready ({status}"
            f"{': ' + said if said else ''}; {tries} tries)",
            "It may still be loading the model or be busy: try again in a moment.")

    def _status_error(self, status: int, body: bytes, url: str) -> Exception:
        message = _error_message(body)
        low = message.lower()
        said = f": {message}" if message else ""
        if status in (401, 403):
            return ServerError(f"the server at {self.base_url} refused the request "
                               f"({status}{said})", self._key_hint())
        if any(word in low for word in _CONTEXT_WORDS):
            return ContextOverflowError(
                f"the prompt does not fit the server's context ({message})",
                "Shorten the input, start a new conversation, or give the server a larger "
                "context (llama-server -c, vLLM --max-model-len).")
        if "model" in low and ("not found" in low or "does not exist" in low
                               or "not loaded" in low or "unknown" in low):
            return ModelNotFoundError(
                f"the server at {self.base_url} has no model {self.model!r}"
                if hasattr(self, "model") else f"the server does not know the model{said}",
                "List its models with `curl BASE_URL/models` and pick one with "
                "--server-model.")
        if status == 404:
            return ServerError(
                f"{url} does not exist (404): is {self.base_url} the server's API address?",
                "The base URL usually ends in /v1 (llama-server, vLLM, Ollama: "
                "http://HOST:PORT/v1).")
        return ServerError(f"the server at {self.base_url} answered {status}{said}",
                           "See the server's log; try again once it is fixed.")

    # --- tokens -------------------------------------------------------------------------

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens of the prompt for ``messages``: the server's tokenizer on each message's
        text plus a few tokens of chat template per message (an estimate of the rendered
        prompt within a few tokens per message)."""
        return sum(self._tokens(m.content) + 5 for m in messages) + 3

    def _tokens(self, text: str) -> int:
        with self._lock:
            cached = self._token_cache.get(text)
        if cached is not None:
            return cached
        count = self._tokenize(text)
        with self._lock:
            if len(self._token_cache) > 2048:
                self._token_cache.clear()
            self._token_cache[text] = count
        return count

    def _tokenize(self, text: str) -> int:
        import httpx

        order = ([self._tokenizer] if self._tokenizer else
                 ["llama-server", "llama-cpp-python"])
        for kind in order:
            if kind == "estimate":
                break
            url, body = ((f"{self._root}/tokenize", {"content": text})
                         if kind == "llama-server" else
                         (f"{self._root}/extras/tokenize", {"input": text, "model": self.model}))
            try:
                response = self._client.post(url, json=body, timeout=10.0)
                tokens = response.json().get("tokens") if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError, AttributeError):
                tokens = None
            if isinstance(tokens, list):
                self._tokenizer = kind
                return len(tokens)
        self._tokenizer = "estimate"
        # No tokenizer on the server: code tokenizes at about 3-4 bytes per token; count 3
        # so that the context check errs on the safe side.
        return len(text.encode("utf-8")) // 3 + 1

    # --- generation ---------------------------------------------------------------------

    def _payload(self, messages: Sequence[Message], options: GenerationOptions,
                 max_tokens: int) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "temperature": options.temperature,
            "top_p": options.top_p if options.temperature > 0 else 1.0,
            "seed": options.seed,
            "max_tokens": max_tokens,
            "cache_prompt": True,
            "top_k": options.top_k if options.temperature > 0 else 1,
            "stream_options": {"include_usage": True},
        }
        if options.stop:
            payload["stop"] = list(options.stop)
        for name in self._refused:
            payload.pop(name, None)
        return payload

    def chat(
        self,
        messages: Sequence[Message],
        options: GenerationOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        options = options or GenerationOptions()
        prompt_tokens = self.count_tokens(messages)
        n_ctx = self.info.n_ctx
        if prompt_tokens >= n_ctx:
            raise ContextOverflowError(
                f"the prompt needs about {prompt_tokens:,} tokens but the server's context "
                f"holds {n_ctx:,}",
                "Shorten the input, start a new conversation, or give the server a larger "
                "context (and --n-ctx to match when the server does not report it).")
        stats = GenerationStats(prompt_tokens=prompt_tokens,
                                prompt_tokens_evaluated=prompt_tokens)
        max_new = max(1, min(options.max_tokens, n_ctx - prompt_tokens))
        stream = _Stream(self, self._payload(messages, options, max_new))
        started = time.perf_counter()
        if not stream.wait_started(cancel):
            stats.finish_reason = "cancelled"
            return Completion(iter(()), stats)
        return Completion(self._chunks(stream, stats, cancel, started), stats)

    def _chunks(self, stream: _Stream, stats: GenerationStats, cancel: CancelToken | None,
                started: float) -> Iterator[str]:
        first: float | None = None
        last = started
        chunks = 0
        timings: dict[str, Any] = {}
        usage: dict[str, Any] = {}
        try:
            for data in stream.events(cancel):
                if data is None:  # cancelled
                    stats.finish_reason = "cancelled"
                    break
                event = _parse_event(data, self.base_url)
                if isinstance(event.get("timings"), dict):
                    timings = event["timings"]
                if isinstance(event.get("usage"), dict):
                    usage = event["usage"]
                for choice in event.get("choices") or []:
                    if not isinstance(choice, dict):
                        continue
                    delta = choice.get("delta") or {}
                    text = delta.get("content") if isinstance(delta, dict) else None
                    reason = choice.get("finish_reason")
                    if reason:
                        stats.finish_reason = "length" if reason == "length" else "stop"
                    if text:
                        now = time.perf_counter()
                        if first is None:
                            first = now
                        last = now
                        chunks += 1
                        stats.generated_tokens = chunks
                        yield text
            else:
                if stream.ended_by == "eof" and not stats.finish_reason:
                    raise ServerError(
                        f"the server's reply broke off after {chunks} chunks (no end of "
                        "stream)", "The server may have stopped or restarted; try again.")
                if chunks and not stats.finish_reason:
                    raise ServerError(
                        f"the server ended the reply after {chunks} chunks without saying "
                        "why (interrupted by another request?)",
                        "llama-cpp-python's server does this unless started with "
                        "--interrupt_requests False (`oci serve` does); try again.")
                if not stats.finish_reason:
                    stats.finish_reason = "stop"
        finally:
            stream.close()
            _fill_stats(stats, timings, usage, started, first, last)

    def stream_request(self, payload: dict[str, Any], put: Callable[[_Item], None],
                       closed: threading.Event, hold: Callable[[Any], None]) -> None:
        """POST a streamed chat completion: ``put`` a "started" item, then one "event" item
        per server-sent event, then an "end" item ("done" or "eof"). Retries while the
        server starts (connection refused, 503) with backoff, drops an optional field a
        strict server refuses, and raises one-line errors. ``closed`` stops it; ``hold``
        is given the open response (and None after), so it can be closed from outside."""
        import httpx
        from httpx_sse import EventSource

        url = f"{self.base_url}/chat/completions"
        last: Exception | None = None
        attempt = 0
        while attempt <= self._retries:
            if attempt:
                time.sleep(self._backoff_s * 2 ** (attempt - 1))
            if closed.is_set():
                return
            attempt += 1
            started = False
            try:
                with self._client.stream("POST", url, json=payload) as response:
                    hold(response)
                    status = response.status_code
                    if status >= 400:
                        body = response.read()
                        refused = _refused_field(body)
                        if status in (400, 422) and refused and refused not in self._refused:
                            self._refused.add(refused)
                            payload.pop(refused, None)
                            attempt -= 1  # not a failure of the server: ask again
                            continue
                        if status in _RETRY_STATUS:
                            if attempt <= self._retries:
                                continue
                            raise self._not_ready(status, body, attempt)
                        raise self._status_error(status, body, url)
                    started = True
                    put(_Item("started"))
                    for sse in EventSource(response).iter_sse():
                        if closed.is_set():
                            return
                        data = sse.data.strip()
                        if not data:
                            continue
                        if data == "[DONE]":
                            break
                        put(_Item("event", data))
                    else:  # the body ended without the protocol's last event
                        put(_Item("end", "eof"))
                        return
                    put(_Item("end", "done"))
                    return
            except httpx.ConnectError as exc:
                last = exc
                continue
            except httpx.TimeoutException:
                raise self._timeout_error() from None
            except httpx.HTTPError as exc:
                if closed.is_set():
                    return
                if started:
                    raise ServerError(
                        f"the server's reply broke off ({_reason(exc)})",
                        "The server may have stopped or restarted; try again.") from None
                last = exc
                continue
            finally:
                hold(None)
        if closed.is_set():
            return
        assert last is not None
        raise self._transport_error(last)

    def close(self) -> None:
        self._client.close()


def _fill_stats(stats: GenerationStats, timings: dict[str, Any], usage: dict[str, Any],
                started: float, first: float | None, last: float) -> None:
    """The server's own figures where it gives them, the clock's otherwise."""
    if isinstance(usage.get("prompt_tokens"), int) and usage["prompt_tokens"] > 0:
        stats.prompt_tokens = usage["prompt_tokens"]
        stats.prompt_tokens_evaluated = stats.prompt_tokens
    if isinstance(usage.get("completion_tokens"), int):
        stats.generated_tokens = usage["completion_tokens"]
    prompt_n, cache_n = timings.get("prompt_n"), timings.get("cache_n")
    if isinstance(prompt_n, int):  # llama-server: evaluated tokens, and reused ones
        stats.prompt_tokens_evaluated = prompt_n
        stats.prompt_tokens_reused = cache_n if isinstance(cache_n, int) else 0
        stats.prompt_tokens = prompt_n + stats.prompt_tokens_reused
    if isinstance(timings.get("predicted_n"), int):
        stats.generated_tokens = timings["predicted_n"]
    if isinstance(timings.get("prompt_ms"), (int, float)):
        stats.prompt_seconds = float(timings["prompt_ms"]) / 1000
    elif first is not None:
        stats.prompt_seconds = first - started
    if isinstance(timings.get("predicted_ms"), (int, float)):
        stats.generate_seconds = float(timings["predicted_ms"]) / 1000
    elif first is not None:
        stats.generate_seconds = max(last - first, 1e-6)


def _parse_event(data: str, base_url: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except ValueError:
        raise ServerError(f"the server at {base_url} sent a malformed event "
                          f"({data[:60]!r})", "Is it an OpenAI-compatible server?") from None
    if not isinstance(event, dict):
        raise ServerError(f"the server at {base_url} sent a malformed event ({data[:60]!r})",
                          "Is it an OpenAI-compatible server?")
    if event.get("error"):
        message = _error_message(json.dumps(event).encode())
        low = message.lower()
        if any(word in low for word in _CONTEXT_WORDS):
            raise ContextOverflowError(f"the prompt does not fit the server's context "
                                       f"({message})", "Shorten the input or start a new "
                                       "conversation.")
        raise ServerError(f"the server stopped with an error: {message}",
                          "See the server's log; try again.")
    return event


def _error_message(body: bytes) -> str:
    """The human part of an error body: OpenAI's {"error": {"message"}}, FastAPI's
    {"detail"}, Ollama's {"error": "..."}, or the start of the text."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:200]
    found: Any = data
    if isinstance(data, dict):
        found = data.get("error") or data.get("detail") or data.get("message") or data
        if isinstance(found, dict):
            found = found.get("message") or found.get("type") or found
    if isinstance(found, list) and found and isinstance(found[0], dict):  # FastAPI 422
        found = found[0].get("msg", found[0])
    return " ".join(str(found).split())[:200]


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "Connection refused" in text or "[Errno 111]" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return " ".join(text.split())[:120]


class _Stream:
    """One streamed request, read by a thread of its own (see the module docstring)."""

    def __init__(self, backend: ServerBackend, payload: dict[str, Any]) -> None:
        self._backend = backend
        self._payload = payload
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._closed = threading.Event()
        self._response: Any = None
        self.ended_by = ""
        """How the stream ended: "done" (the server's [DONE]) or "eof" (the body ended)."""
        self._thread = threading.Thread(target=self._run, name="oci-server-stream",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._request()
        except BaseException as exc:  # handed to the reader; the thread never raises
            self._queue.put(_Item("error", exc))

    def _request(self) -> None:
        self._backend.stream_request(self._payload, self._queue.put, self._closed,
                                     self._hold)

    def _hold(self, response: Any) -> None:
        """The response being read (None after): ``close`` closes it from another thread."""
        self._response = response

    def _next(self, cancel: CancelToken | None) -> _Item | None:
        """The next item, or None when ``cancel`` was set while waiting."""
        while True:
            if cancel is not None and cancel.cancelled:
                return None
            try:
                return self._queue.get(timeout=POLL_S)
            except queue.Empty:
                continue

    def wait_started(self, cancel: CancelToken | None) -> bool:
        """Wait until the server starts its reply; False when cancelled first."""
        item = self._next(cancel)
        if item is None:
            self.close()
            return False
        if item.kind == "error":
            raise item.value
        if item.kind != "started":  # pragma: no cover - the thread always starts first
            raise ServerError(f"unexpected stream state {item.kind}")
        return True

    def events(self, cancel: CancelToken | None) -> Iterator[str | None]:
        """Each event's data; None once when cancelled. Ends at the server's [DONE]."""
        while True:
            item = self._next(cancel)
            if item is None:
                yield None
                return
            if item.kind == "event":
                yield item.value
            elif item.kind == "end":
                self.ended_by = item.value
                return
            elif item.kind == "error":
                raise item.value

    def close(self) -> None:
        """Stop reading: closing the connection tells the server to stop generating."""
        self._closed.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):  # from another thread: best effort
                response.close()


def _refused_field(body: bytes) -> str | None:
    """Which optional field a strict server refused ("Unrecognized request argument")."""
    text = body.decode("utf-8", errors="replace")
    low = text.lower()
    if not any(word in low for word in ("unrecognized", "unknown", "extra", "not permitted",
                                        "unsupported")):
        return None
    for name in _EXTRA_FIELDS:
        if name in text:
            return name
    return None
