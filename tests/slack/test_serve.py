"""`csm slack serve` stops on SIGTERM and lets the answers being computed finish."""

from __future__ import annotations

import http.client
import os
import signal
import threading

from connectors.slack.conversations import Worker
from connectors.slack.server import http_server, serve_http


def test_sigterm_stops_the_server_after_the_turns_in_flight_finish(bot):
    server = http_server(bot.bot.app, port=0, host="127.0.0.1")
    port = server.server_address[1]
    worker = Worker(1)
    go, finished = threading.Event(), []

    def turn() -> None:  # an answer still being computed when SIGTERM arrives
        go.wait()
        finished.append("answered")

    worker.submit(turn)
    close = server.server_close

    def server_close() -> None:  # the turn can only end once the server has stopped
        close()
        go.set()

    server.server_close = server_close
    fallback = []

    def not_installed(signum, frame) -> None:  # serve_http did not handle SIGTERM
        fallback.append(signum)
        threading.Thread(target=server.shutdown).start()

    previous = signal.signal(signal.SIGTERM, not_installed)

    def terminate() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz")  # answered once serve_http is serving
        assert conn.getresponse().status == 200
        conn.close()
        os.kill(os.getpid(), signal.SIGTERM)

    sender = threading.Thread(target=terminate)
    sender.start()
    try:
        serve_http(server, worker)
        assert signal.getsignal(signal.SIGTERM) is not_installed  # the handler is restored
    finally:
        sender.join()
        signal.signal(signal.SIGTERM, previous)
    assert fallback == []
    assert finished == ["answered"]  # returned only after the turn in flight finished
    worker.shutdown()
