"""Serving the bolt App: HTTP (Events API) on /slack/events, or Socket Mode.

HTTP mode is a threaded stdlib server: each request gets its own thread, the listener acks
and hands the work to the worker pool, so acknowledgements stay fast while answers are
computed. Events, slash commands and interactivity all arrive on Slack's default path
`/slack/events`; `GET /healthz` answers 200 for a load balancer or a Kubernetes probe.
Put it behind TLS (a load balancer or ingress): Slack only calls https URLs.

`serve_http` and `serve_socket` run until SIGTERM (a Kubernetes pod stopping, systemd) or
Ctrl-C: they stop taking requests, then let the answers being computed finish.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from slack_bolt.request import BoltRequest

if TYPE_CHECKING:
    from slack_bolt import App

    from connectors.slack.conversations import Worker

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1 << 20
"""Bytes of a request body accepted (Slack's payloads are far smaller)."""


def http_server(app: App, port: int = 3000, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """Return an HTTP server dispatching /slack/events to `app` (port 0: any free port)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args: object) -> None:
            log.debug("%s " + fmt, self.address_string(), *args)

        def do_GET(self) -> None:
            if urlparse(self.path).path == "/healthz":
                self._send(200, b"ok", {"Content-Type": ["text/plain"]})
            else:
                self._send(404, b"not found", {})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if url.path != EVENTS_PATH or length > MAX_BODY:
                self._send(404 if url.path != EVENTS_PATH else 413, b"", {})
                return
            body = self.rfile.read(length).decode("utf-8")
            headers: dict[str, list[str]] = {}
            for key, value in self.headers.items():
                headers.setdefault(key.lower(), []).append(value)
            response = app.dispatch(BoltRequest(body=body, query=url.query, headers=headers))
            self._send(response.status, response.body.encode("utf-8"), response.headers)

        def _send(self, status: int, body: bytes, headers: dict[str, list[str]]) -> None:
            self.send_response(status)
            for key, values in headers.items():
                if key.lower() == "content-length":
                    continue
                for value in values:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return _Server((host, port), Handler)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    """Connections waiting to be accepted: a burst of events must not overflow the backlog
    (the stdlib's 5 makes clients retry their connection after a second)."""


def serve_http(server: ThreadingHTTPServer, worker: Worker) -> None:
    """Serve until SIGTERM or Ctrl-C; then close the server and let in-flight turns finish."""
    restore = stop_on_sigterm(server.shutdown)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        server.server_close()
        worker.drain(timeout=None)


def serve_socket(app: App, app_token: str, worker: Worker) -> None:
    """Run the app in Socket Mode (no public URL needed) until SIGTERM or Ctrl-C."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token)
    stopped = threading.Event()
    restore = stop_on_sigterm(stopped.set)
    try:
        handler.connect()
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        handler.close()
        worker.drain(timeout=None)


def stop_on_sigterm(stop: Callable[[], None]) -> Callable[[], None]:
    """Call `stop` (in a new thread) on SIGTERM; return what restores the previous handler.

    Only the main thread may set signal handlers: elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_sigterm(signum: int, frame: object) -> None:
        log.info("SIGTERM: stopping; the answers being computed finish first")
        threading.Thread(target=stop, name="csm-slack-stop", daemon=True).start()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    return lambda: signal.signal(signal.SIGTERM, previous)
