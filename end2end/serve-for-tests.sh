#!/usr/bin/env bash
# Starts the release build of Pulse for the browser tests on a fresh database.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-3137}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db="sqlite://$dir/pulse.db"
# The demo users (viewer@, editor@, admin@demo.pulse.example) get a known password.
PULSE_DEMO_PASSWORD="demo password for tests" ./target/release/pulse demo --database "$db" --seed 2013
# An admin key for the tests that build dashboards through the API, as a service
# team would (end2end/.admin-key, read by the tests; never committed).
./target/release/pulse key create --database "$db" --name "browser tests" --scope admin 2>/dev/null \
  | sed -n 's/^  "secret": "\(pulse_[A-Za-z0-9_-]*\)"$/\1/p' > end2end/.admin-key
test -s end2end/.admin-key
./target/release/pulse serve --database "$db" --addr "127.0.0.1:$port" --site-root target/site
