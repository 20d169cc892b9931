#!/usr/bin/env bash
# Runs check.py (the published Backdrop client) against a fresh release `pulse serve`.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
dir=$(mktemp -d)
db="sqlite://$dir/pulse.db"
pulse=./target/release/pulse
token=$("$pulse" --database "$db" data-set create --group py-client --type transactions \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["bearer_token"])')
port=3138
PULSE_LOG=warn "$pulse" --database "$db" serve --addr "127.0.0.1:$port" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/_status" >/dev/null && break; sleep 0.1; done
PYTHONPATH="$PULSE_PYTHON_CLIENT/performanceplatform-client-0.11.5" "$PULSE_PYTHON_CLIENT/venv/bin/python" end2end/python-client/check.py \
  "http://127.0.0.1:$port" "$token"
