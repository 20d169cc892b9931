#!/usr/bin/env bash
# Corrects one figure: sends this week's digital count again, then shows the
# data set's latest corrections. Needs PULSE_SERVICE and PULSE_TOKEN.
set -euo pipefail
BASE="{{base_url}}"
DATA_SET="${PULSE_SERVICE:?set PULSE_SERVICE}/transactions-by-channel"

# The same identifying fields (_timestamp and channel, written exactly as
# before) make this replace the stored record instead of adding a second one.
MONDAY=$(date -u -d "$(date -u +%F) -$(( $(date -u +%u) - 1 )) days" +%Y-%m-%dT00:00:00Z)
curl --fail-with-body --silent --show-error \
  -X POST "$BASE/data/$DATA_SET" \
  -H "Authorization: Bearer ${PULSE_TOKEN:?set PULSE_TOKEN}" \
  -H "Content-Type: application/json" \
  -d "[{\"_timestamp\": \"$MONDAY\", \"channel\": \"digital\", \"count\": 815}]"
echo

# The correction history, newest first: each entry has the old and new values.
curl --fail-with-body --silent --show-error \
  -H "Authorization: Bearer $PULSE_TOKEN" \
  "$BASE/api/v1/data-sets/$DATA_SET/history?limit=5" \
  | python3 -m json.tool
