"""A fast OpenAI-compatible chat server for benchmarks, so that the model is not what is measured.

It answers `POST /v1/chat/completions` after a fixed delay with `n` choices (as vLLM and OpenAI
do), each a short text that differs per choice and seed, with token usage; `GET /v1/models`
lists one model. It runs in a thread of the benchmark's own process.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.serve import free_port

WORDS = [
    "the",
    "a",
    "model",
    "answer",
    "helps",
    "with",
    "questions",
    "about",
    "many",
    "things",
    "and",
    "gives",
    "short",
    "clear",
    "replies",
]


class _Handler(BaseHTTPRequestHandler):
    delay = 0.05

    def log_message(self, *args):
        return

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._reply(200, {"object": "list", "data": [{"id": "fast", "object": "model"}]})

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        time.sleep(self.delay)
        n, seed = int(request.get("n") or 1), request.get("seed") or 0
        choices = [
            {
                "index": index,
                "message": {"role": "assistant", "content": _text(seed, index)},
                "finish_reason": "stop",
            }
            for index in range(n)
        ]
        usage = {"prompt_tokens": 20, "completion_tokens": 24 * n, "total_tokens": 20 + 24 * n}
        self._reply(
            200, {"id": "fast", "object": "chat.completion", "model": "fast", "choices": choices, "usage": usage}
        )


def _text(seed: int, index: int) -> str:
    words = [WORDS[(seed * 7 + index * 3 + i * i) % len(WORDS)] for i in range(24)]
    return f"Answer {seed}-{index}: " + " ".join(words) + "."


def fast_model_server(*, delay_seconds: float) -> str:
    """Start the server in a daemon thread; returns its base URL (`http://127.0.0.1:<port>/v1`)."""
    handler = type("Handler", (_Handler,), {"delay": delay_seconds})
    # A deeper listen queue than socketserver's 5: a burst of new connections is queued, not reset.
    server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 256})
    server = server_class(("127.0.0.1", free_port()), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/v1"
