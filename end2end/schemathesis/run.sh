#!/usr/bin/env bash
# Schemathesis (pinned in requirements.txt, installed by `scripts/setup --test`)
# against a fresh release `pulse serve` on a demo database: every /api/v1
# operation of the OpenAPI document, all checks, once with an admin key and
# once without one. Operations that end the caller's own credentials (signing
# out, revoking or rotating a key, ending a session) are left out, as they
# would end the run's own key; everything else must pass with zero failures.
# One worker: with two, CPython 3.11's parser (used by schemathesis to walk
# schemas) was seen to crash ("AST constructor recursion depth mismatch"), and
# one worker makes a seed's run the same every time.
# schemathesis.toml beside this script: no cache, and 422 as the answer to a
# schema-valid request that a rule between fields or stored state refuses.
#
#   end2end/schemathesis/run.sh [--max-examples N] [more schemathesis options]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
st="$PULSE_SCHEMATHESIS/venv/bin/schemathesis"
pulse=./target/release/pulse
dir=$(mktemp -d)
db="sqlite://$dir/pulse.db?mode=rwc"
port=3139
base="http://127.0.0.1:$port"

PULSE_DEMO_PASSWORD=schemathesis-demo-password "$pulse" --database "$db" demo --seed 2013 >/dev/null
key=$("$pulse" --database "$db" key create --name schemathesis --scope admin --expires-in-days 30 2>/dev/null \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
if [ -z "$key" ]; then
  echo "no admin key was made" >&2
  exit 1
fi
PULSE_LOG=warn "$pulse" --database "$db" serve --addr "127.0.0.1:$port" >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "$base/_status" >/dev/null && break; sleep 0.1; done

# The operations that end the credentials they are called with.
exclude=(
  --exclude-path-regex '/api-keys/.+/(revoke|rotate)$'
  --exclude-path-regex '/session/sign-out'
  --exclude-path-regex '/sessions/.+$'
)
run() {
  local label=$1
  shift
  printf '\n--- schemathesis: %s ---\n' "$label"
  "$st" --config-file end2end/schemathesis/schemathesis.toml run "$base/api/openapi.json" \
    --url "$base" \
    --include-path-regex '^/api/v1/' \
    "${exclude[@]}" \
    --checks all \
    --phases examples,coverage,fuzzing \
    --max-examples "${MAX_EXAMPLES:-20}" \
    --workers 1 \
    --seed 2013 \
    --request-timeout 10 \
    --suppress-health-check all \
    --warnings off \
    --report junit --report-dir "$dir/report-$label" \
    "$@"
}
status=0
run admin -H "Authorization: Bearer $key" "$@" || status=1
run anonymous "$@" || status=1
if [ $status -ne 0 ]; then
  echo "schemathesis found failures (server log: last lines below)" >&2
  tail -n 20 "$dir/server.log" >&2
fi
exit $status
