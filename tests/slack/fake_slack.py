"""A fake Slack Web API on a loopback port: records every call, answers what csm's bot uses.

Point `WebClient(base_url=fake.api_url)` (or CSM_SLACK_API_URL) at it. Like bolt-python's own
mock_web_api_server, but bound to port 0 and threaded. Like Slack, it refuses a message whose
blocks hold more than BLOCK_TEXT_LIMIT characters of text (`msg_blocks_too_long`).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

BLOCK_TEXT_LIMIT = 12_000
"""Characters of text in a message's blocks above which Slack answers msg_blocks_too_long."""


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeSlack:
    """The fake server; `calls` lists every API call in order (uploads as method 'upload')."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.rate_limit: dict[str, int] = {}
        """method -> how many of its next calls get a 429 with Retry-After."""
        self.errors: dict[str, list[str]] = {}
        """method -> the errors its next calls answer (ok=false), one per call."""
        self.uploads: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._ts = 0
        self.posted = threading.Condition(self._lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fake._handle(self, self.rfile.read(length))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.api_url = f"http://127.0.0.1:{self.port}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_user(self, user_id: str, email: str | None, real_name: str = "", **flags: bool) -> None:
        """Add a member; flags are users.info's, e.g. is_restricted=True for a guest."""
        self.users[user_id] = {"email": email or "", "real_name": real_name, "flags": flags}

    # --- what tests read ----------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posts(self) -> list[dict[str, Any]]:
        return [c.params for c in self.of("chat.postMessage")]

    def texts(self) -> list[str]:
        """Every posted or updated message's text and block texts, in order."""
        out = []
        with self._lock:
            calls = list(self.calls)
        for c in calls:
            if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
                out.append(message_text(c.params))
        return out

    # --- the server ---------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, body: bytes) -> None:
        url = urlparse(req.path)
        params: dict[str, Any] = dict(parse_qsl(url.query))
        ctype = req.headers.get("Content-Type", "")
        if url.path.startswith("/upload/"):
            file_id = url.path.rsplit("/", 1)[-1]
            with self._lock:
                self.uploads[file_id] = body
                self.calls.append(Call("upload", {"file_id": file_id, "size": len(body)}))
            self._send(req, 200, b"OK - uploaded", "text/plain")
            return
        if body and "json" in ctype:
            params.update(json.loads(body))
        elif body:
            params.update(dict(parse_qsl(body.decode())))
        method = url.path.removeprefix("/api/")
        with self._lock:
            self.calls.append(Call(method, params))
            if self.rate_limit.get(method):
                self.rate_limit[method] -= 1
                self._send(req, 429, b'{"ok": false, "error": "ratelimited"}', retry_after="0")
                return
            if self.errors.get(method):
                answer = {"ok": False, "error": self.errors[method].pop(0)}
            else:
                answer = self._answer(method, params)
            self.posted.notify_all()
        self._send(req, 200, json.dumps(answer).encode())

    def _send(
        self,
        req: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        ctype: str = "application/json",
        retry_after: str | None = None,
    ) -> None:
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            req.send_header("Retry-After", retry_after)
        req.end_headers()
        req.wfile.write(body)

    def _next_ts(self) -> str:
        self._ts += 1
        return f"1700000000.{self._ts:06d}"

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "csm",
                "team_id": "T1",
                "user_id": "UBOT",
                "bot_id": "BBOT",
            }
        if method in ("chat.postMessage", "chat.update"):
            if block_text_length(p) > BLOCK_TEXT_LIMIT:
                return {"ok": False, "error": "msg_blocks_too_long"}
            ts = p.get("ts") or self._next_ts()
            return {"ok": True, "channel": p.get("channel"), "ts": ts, "message": {"ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "users.info":
            user = self.users.get(p.get("user", ""))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": _user(p["user"], user)}
        if method == "users.lookupByEmail":
            for uid, user in self.users.items():
                if user["email"] and user["email"].lower() == str(p.get("email", "")).lower():
                    return {"ok": True, "user": _user(uid, user)}
            return {"ok": False, "error": "users_not_found"}
        if method == "users.list":
            members = [_user(uid, u) for uid, u in self.users.items()]
            return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(p.get("users", "X")).split(",")[0]}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + self._ts + 1}"
            self._ts += 1
            return {
                "ok": True,
                "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
                "file_id": file_id,
            }
        if method == "files.completeUploadExternal":
            files = p.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {"ok": True}


def _user(uid: str, user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": uid,
        "name": uid.lower(),
        "real_name": user["real_name"],
        "profile": {"email": user["email"], "real_name": user["real_name"]},
        **user.get("flags", {}),
    }


def block_text_length(params: dict[str, Any]) -> int:
    """Return the characters of text in a message's blocks (the fallback text not counted)."""
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return sum(len(t) for block in blocks or [] for t in _block_texts(block))


def message_text(params: dict[str, Any]) -> str:
    """Return a message's fallback text and every text inside its blocks, joined."""
    parts = [str(params.get("text") or "")]
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for block in blocks or []:
        parts.extend(_block_texts(block))
    return "\n".join(parts)


def _block_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = []
        if isinstance(node.get("text"), str):
            out.append(node["text"])
        for value in node.values():
            if isinstance(value, dict | list):
                out.extend(_block_texts(value))
        return out
    if isinstance(node, list):
        return [t for item in node for t in _block_texts(item)]
    return []
