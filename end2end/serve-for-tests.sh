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
# A real SMTP server on 127.0.0.1 catches Pulse's e-mail: each message lands as
# JSON in end2end/.mail, where the tests read it. Late data is looked for
# every 2 seconds, so a reminder comes while a test waits for it.
rm -rf end2end/.mail
mkdir -p end2end/.mail
mail_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${PULSE_MAIL_TOOLS:-$HOME/.cache/pulse/mail}/venv/bin/python" end2end/mail/catch.py \
  --dir end2end/.mail --port "$mail_port" > /dev/null &
catcher=$!
trap 'kill $catcher 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$mail_port") 2>/dev/null && break; sleep 0.1; done
./target/release/pulse serve --database "$db" --addr "127.0.0.1:$port" --site-root target/site \
  --smtp-url "smtp://127.0.0.1:$mail_port" --mail-from "Pulse <pulse@demo.pulse.example>" \
  --late-data-every 2
