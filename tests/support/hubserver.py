"""A tiny stand-in for the Hugging Face hub on 127.0.0.1 (HF_ENDPOINT points at it).

It serves the two things huggingface_hub needs to pull a file: the model-info API
(repository listing with sizes and sha256) and /resolve/ downloads (HEAD + GET
with Range, so resumed downloads work).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class HubState:
    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    advertised_sha: dict[tuple[str, str], str] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    cut_after: int | None = None
    """When set, the next GET of a file body stops after this many bytes."""


def make_handler(state: HubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send_json(self, code: int, obj: object) -> None:
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if code == 404:
                self.send_header("X-Error-Code", "RepoNotFound")
            self.end_headers()
            self.wfile.write(body)

        def _file(self) -> tuple[str, str, bytes] | None:
            parts = unquote(urlparse(self.path).path).strip("/").split("/")
            # <owner>/<name>/resolve/<rev>/<filename>
            if len(parts) >= 5 and parts[2] == "resolve":
                repo, name = "/".join(parts[:2]), "/".join(parts[4:])
                data = state.repos.get(repo, {}).get(name)
                if data is not None:
                    return repo, name, data
            return None

        def _file_headers(self, repo: str, name: str, data: bytes, length: int) -> None:
            sha = hashlib.sha256(data).hexdigest()
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", f'"{sha}"')
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(length))
            self.send_header("Content-Type", "application/octet-stream")

        def do_HEAD(self) -> None:
            state.requests.append(("HEAD", self.path, self.headers.get("Range")))
            found = self._file()
            if found is None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            repo, name, data = found
            self.send_response(200)
            self._file_headers(repo, name, data, len(data))
            self.end_headers()

        def do_GET(self) -> None:
            rng = self.headers.get("Range")
            state.requests.append(("GET", self.path, rng))
            path = urlparse(self.path).path
            if path.startswith("/api/models/"):
                repo = "/".join(path.removeprefix("/api/models/").split("/")[:2])
                files = state.repos.get(repo)
                if files is None:
                    self._send_json(404, {"error": "Repository not found"})
                    return
                siblings = []
                for name, data in files.items():
                    sha = state.advertised_sha.get((repo, name), hashlib.sha256(data).hexdigest())
                    siblings.append({"rfilename": name, "size": len(data),
                                     "lfs": {"sha256": sha, "size": len(data),
                                             "pointerSize": 130}})
                self._send_json(200, {"id": repo, "modelId": repo, "sha": COMMIT,
                                      "private": False, "siblings": siblings})
                return
            found = self._file()
            if found is None:
                self._send_json(404, {"error": "Entry not found"})
                return
            repo, name, data = found
            start = 0
            if rng and rng.startswith("bytes="):
                start = int(rng.removeprefix("bytes=").split("-")[0] or 0)
            body = data[start:]
            self.send_response(206 if start else 200)
            self._file_headers(repo, name, data, len(body))
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if state.cut_after is not None:
                cut, state.cut_after = state.cut_after, None
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


class HubServer:
    def __init__(self) -> None:
        self.state = HubState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.state))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> HubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
