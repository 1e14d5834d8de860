#!/usr/bin/env bash
# Start a throw-away Chroma server on loopback for the tests; print its URL on stdout.
# Uses the venv's `chroma` (from chromadb; run after `make install`), a temporary --path and
# a free port; waits until the server answers its heartbeat. The server's pid and log are in
# the printed data folder (stderr); it stops with the machine, like .ci/postgres.sh's server.
set -euo pipefail
cd "$(dirname "$0")/.."
chroma=${CHROMA_BIN:-.venv/bin/chroma}
[ -x "$chroma" ] || chroma=$(command -v chroma || true)
if [ -z "$chroma" ]; then
  echo "chroma.sh: no chroma command: run make install first (chromadb provides it)" >&2
  exit 1
fi
python=${PYTHON_BIN:-python3}
data=$(mktemp -d /tmp/csm-chroma.XXXXXX)
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
nohup "$chroma" run --path "$data/db" --host 127.0.0.1 --port "$port" >"$data/log" 2>&1 &
echo $! >"$data/pid"
url="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
  if "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
      "$url/api/v2/heartbeat" >/dev/null 2>&1; then
    echo "chroma.sh: Chroma server pid $(cat "$data/pid"), data and log in $data" >&2
    echo "$url"
    exit 0
  fi
  if ! kill -0 "$(cat "$data/pid")" 2>/dev/null; then
    echo "chroma.sh: the Chroma server exited; its log:" >&2
    cat "$data/log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "chroma.sh: no heartbeat from $url after 30 s; log in $data/log" >&2
kill "$(cat "$data/pid")" 2>/dev/null || true
exit 1
