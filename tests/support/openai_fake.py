"""A small OpenAI-compatible server on 127.0.0.1 for the server backend's tests.

Real HTTP and real server-sent events (stdlib ``http.server``), with behaviour scripted
per test: the models it lists, the replies it streams, and the failures a team's server
shows in practice -- 401s, 5xx while loading, a 404 for a wrong base URL, a context
overflow, a stream that stalls or breaks off, a server that refuses unknown fields.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Script:
    models: list[str] = field(default_factory=lambda: ["fake-coder"])
    replies: deque[str] = field(default_factory=deque)
    default_reply: str = "Hello there."
    api_key: str | None = None
    """When set, requests without ``Authorization: Bearer <key>`` get 401."""
    statuses: deque[int] = field(default_factory=deque)
    """Status codes answered to the next chat requests (before any normal reply)."""
    error_body: dict[str, Any] | None = None
    chunk_delay_s: float = 0.0
    header_delay_s: float = 0.0
    """Seconds before the reply starts (a long prompt evaluation)."""
    stall_after: int | None = None
    """Stop sending (keep the connection open) after this many chunks."""
    break_after: int | None = None
    """Drop the connection after this many chunks (no [DONE])."""
    malformed: bool = False
    strict_fields: bool = False
    """Refuse fields OpenAI itself does not know (cache_prompt, top_k) with a 400."""
    llama_timings: bool = False
    """Send llama-server's ``timings`` (with cache_n) in the last event."""
    tokenize: bool = False
    """Serve llama-server's /tokenize (one token per whitespace-separated word)."""
    props_n_ctx: int | None = None
    models_status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    disconnects: int = 0
    """Streams the client closed before the end."""
    release: threading.Event = field(default_factory=threading.Event)
    """Set to end a stall (the server's shutdown sets it)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        key = self.server.script.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._json(401, {"error": {"message": "Invalid API key", "type": "auth_error"}})
        return False

    def do_GET(self) -> None:
        script = self.server.script
        if not self._authorized():
            return
        if self.path == "/v1/models":
            if script.models_status != 200:
                self._json(script.models_status, {"error": {"message": "loading model"}})
                return
            self._json(200, {"object": "list",
                             "data": [{"id": m, "object": "model"} for m in script.models]})
        elif self.path == "/props" and script.props_n_ctx:
            self._json(200, {"default_generation_settings": {"n_ctx": script.props_n_ctx}})
        else:
            self._json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        script = self.server.script
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self._authorized():
            return
        if self.path == "/tokenize" and script.tokenize:
            self._json(200, {"tokens": list(range(len(body.get("content", "").split())))})
            return
        if self.path != "/v1/chat/completions":
            self._json(404, {"detail": "Not Found"})
            return
        script.requests.append(body)
        script.headers.append(dict(self.headers))
        if script.strict_fields:
            for name in ("cache_prompt", "top_k"):
                if name in body:
                    self._json(400, {"error": {"message": f"Unrecognized request argument "
                                               f"supplied: {name}"}})
                    return
        if script.statuses:
            status = script.statuses.popleft()
            self._json(status, script.error_body or {"error": {"message": f"status {status}"}})
            return
        if script.header_delay_s:
            time.sleep(script.header_delay_s)
        reply = script.replies.popleft() if script.replies else script.default_reply
        self._stream(script, body, reply)

    def _stream(self, script: Script, body: dict[str, Any], reply: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        words = reply.split(" ")
        stop = [s for s in body.get("stop") or [] if s]
        try:
            sent = 0
            text_so_far = ""
            finish = "stop"
            for i, word in enumerate(words):
                piece = word if i == len(words) - 1 else word + " "
                if any(s in text_so_far + piece for s in stop):
                    break
                if i >= body.get("max_tokens", 10**9):
                    finish = "length"
                    break
                if script.stall_after is not None and sent >= script.stall_after:
                    script.release.wait(60)
                    return
                if script.break_after is not None and sent >= script.break_after:
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                if script.malformed:
                    self.wfile.write(b"data: {not json\n\n")
                    self.wfile.flush()
                    return
                event = {"choices": [{"index": 0, "delta": {"content": piece},
                                      "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
                text_so_far += piece
                sent += 1
                if script.chunk_delay_s:
                    time.sleep(script.chunk_delay_s)
            last: dict[str, Any] = {"choices": [{"index": 0, "delta": {},
                                                 "finish_reason": finish}]}
            if script.llama_timings:
                last["timings"] = {"prompt_n": 7, "prompt_ms": 70.0, "cache_n": 30,
                                   "predicted_n": sent, "predicted_ms": 20.0 * sent}
            self.wfile.write(f"data: {json.dumps(last)}\n\n".encode())
            usage = {"choices": [], "usage": {"prompt_tokens": 37,
                                              "completion_tokens": sent}}
            self.wfile.write(f"data: {json.dumps(usage)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            script.disconnects += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    script: Script


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as fake: fake.url`` -> http://127.0.0.1:PORT/v1."""

    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.script = self.script
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.script.release.set()
        self._server.shutdown()
        self._server.server_close()
