"""A small moderation server that speaks OpenAI's `POST /v1/moderations` wire format.

It is a real HTTP server on 127.0.0.1 (stdlib `http.server` in a thread), so the SDK, a
Celery worker subprocess and the benchmarks talk to it as to a real filter. It flags a text
when the text holds one of its keywords (case-insensitive), and it can be taken down:

    server = ModerationServer().start()
    server.keywords["bomb"] = "violence"     # keyword → OpenAI category name
    server.down = True                       # answer 503 until set back to False
    server.delay = 0.5                       # seconds to wait before each answer
    server.requests                          # the JSON bodies received, in order
    server.stop()

Use it through the `moderation_server` fixture.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

CATEGORIES = [
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]

DEFAULT_KEYWORDS = {
    "bomb": "violence",
    "kill": "violence",
    "hate": "hate",
    "idiot": "harassment",
    "suicide": "self-harm",
    "explicit": "sexual",
    "steal": "illicit",
    "malware": "illicit",
}


def verdict(text: str, keywords: dict[str, str]) -> dict:
    """The result the server sends for one text."""
    lowered = text.lower()
    hits = {category for keyword, category in keywords.items() if keyword in lowered}
    return {
        "flagged": bool(hits),
        "categories": {category: category in hits for category in CATEGORIES},
        "category_scores": {category: 0.91 if category in hits else 0.002 for category in CATEGORIES},
    }


class ModerationServer:
    def __init__(self, *, keywords: dict[str, str] | None = None) -> None:
        self.keywords = dict(DEFAULT_KEYWORDS if keywords is None else keywords)
        self.down = False
        self.delay = 0.0
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self, port: int = 0) -> "ModerationServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.rstrip("/") != "/v1/moderations":
                    return self._send(404, {"error": {"message": "Not found"}})
                try:
                    request = json.loads(body)
                except ValueError:
                    return self._send(400, {"error": {"message": "Body is not JSON"}})
                with server._lock:
                    server.requests.append(request)
                if server.delay:
                    time.sleep(server.delay)
                if server.down:
                    return self._send(503, {"error": {"message": "The filter is down"}})
                texts = request.get("input")
                texts = [texts] if isinstance(texts, str) else texts
                results = [verdict(text, server.keywords) for text in texts]
                self._send(200, {"id": "modr-test", "model": request.get("model", ""), "results": results})

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


@pytest.fixture
def moderation_server():
    server = ModerationServer().start()
    yield server
    server.stop()
