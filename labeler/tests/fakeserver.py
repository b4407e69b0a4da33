"""A fault-injecting OpenAI-compatible chat-completions server for the error paths.

It is a real HTTP server on 127.0.0.1 (stdlib `http.server` in a thread), so the `openai`
SDK, a Celery worker subprocess and the benchmark talk to it exactly as to a real one.

    server = FakeModelServer().start()
    server.script(Reply.status(429, retry_after=2), Reply.ok())   # one reply per request, in order
    server.default = Reply.ok(delay=1.0)                          # once the script runs out
    ...
    server.requests        # the JSON bodies received, in order
    server.max_in_flight   # the most requests it was answering at one time
    server.stop()

Use it through the `fake_model_server` fixture (labeler/tests/model_server.py).
"""

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    """What the server does with one request."""

    kind: str = "ok"
    http_status: int = 200
    delay: float = 0.0
    text: str | None = None
    finish_reason: str = "stop"
    honour_n: bool = False
    headers: dict = field(default_factory=dict)

    @classmethod
    def ok(cls, *, text: str | None = None, delay: float = 0.0, finish_reason: str = "stop", honour_n: bool = False):
        """A valid completion. Without `text`, each answer is unique; with `honour_n`, `n` choices."""
        return cls(text=text, delay=delay, finish_reason=finish_reason, honour_n=honour_n)

    @classmethod
    def status(cls, status: int, *, retry_after: str | int | None = None, delay: float = 0.0):
        """An OpenAI-style error body with this HTTP status (and `Retry-After`, if given)."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(kind="status", http_status=status, headers=headers, delay=delay)

    @classmethod
    def hang(cls, seconds: float = 30.0):
        """Accept the request and answer nothing for `seconds`: the client's timeout fires first."""
        return cls(kind="hang", delay=seconds)

    @classmethod
    def truncated(cls):
        """A 200 whose JSON body is cut off half-way."""
        return cls(kind="truncated")

    @classmethod
    def empty_choices(cls):
        return cls(kind="empty_choices")

    @classmethod
    def missing_content(cls):
        """A choice whose message has no `content`."""
        return cls(kind="missing_content")

    @classmethod
    def content_filter(cls):
        """The provider withheld the answer: no content, finish reason `content_filter`."""
        return cls(kind="missing_content", finish_reason="content_filter")


class FakeModelServer:
    def __init__(self) -> None:
        self.default = Reply.ok()
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-model-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "FakeModelServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order, then with `default`."""
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.default = Reply.ok()
            self.max_in_flight = 0

    def _next(self, body: dict) -> tuple[Reply, int]:
        with self._lock:
            self.requests.append(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            reply = self._script.popleft() if self._script else self.default
            return reply, next(self._counter)

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):
                pass

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
                else:
                    self._json(404, _error("Not found", "not_found"))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, _error(f"No route {self.path}", "not_found"))
                    return
                reply, number = server._next(body)
                try:
                    self._answer(reply, number, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    server._done()

            def _answer(self, reply: Reply, number: int, body: dict) -> None:
                if reply.delay:
                    server._stopping.wait(reply.delay)
                if reply.kind == "hang":
                    return
                if reply.kind == "status":
                    message = {429: "Rate limit reached", 500: "The server had an error"}.get(
                        reply.http_status, f"Request refused with status {reply.http_status}"
                    )
                    self._json(reply.http_status, _error(message, "fake_error"), headers=reply.headers)
                    return
                if reply.kind == "truncated":
                    payload = json.dumps(_completion(body, number, reply)).encode()
                    self._raw(200, payload[: len(payload) // 2])
                    return
                completion = _completion(body, number, reply)
                if reply.kind == "empty_choices":
                    completion["choices"] = []
                elif reply.kind == "missing_content":
                    for choice in completion["choices"]:
                        del choice["message"]["content"]
                self._json(200, completion)

            def _json(self, status: int, payload: dict, headers: dict | None = None) -> None:
                self._raw(status, json.dumps(payload).encode(), headers)

            def _raw(self, status: int, data: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _error(message: str, code: str) -> dict:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code, "param": None}}


def _completion(body: dict, number: int, reply: Reply) -> dict:
    n = int(body.get("n") or 1) if reply.honour_n else 1
    choices = []
    for index in range(n):
        text = reply.text if reply.text is not None else f"Answer {number}.{index} (seed {body.get('seed')})."
        choices.append(
            {
                "index": index,
                "message": {"role": "assistant", "content": text},
                "finish_reason": reply.finish_reason,
            }
        )
    completion_tokens = sum(len(choice["message"]["content"].split()) for choice in choices)
    return {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": choices,
        "usage": {"prompt_tokens": 11, "completion_tokens": completion_tokens, "total_tokens": 11 + completion_tokens},
    }
