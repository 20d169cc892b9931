#!/usr/bin/env bash
# Starts the release build of Pulse for the browser tests on a fresh database.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-3137}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db="sqlite://$dir/pulse.db"
./target/release/pulse demo --database "$db" --seed 2013
./target/release/pulse serve --database "$db" --addr "127.0.0.1:$port" --site-root target/site
