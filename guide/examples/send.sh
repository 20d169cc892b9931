#!/usr/bin/env bash
# Sends this week's transactions by channel to Pulse.
# Needs PULSE_SERVICE (your service's slug) and PULSE_TOKEN (the data set's write token).
set -euo pipefail

# Monday of the current week, 00:00 UTC (also right when today is a Monday).
MONDAY=$(date -u -d "$(date -u +%F) -$(( $(date -u +%u) - 1 )) days" +%Y-%m-%dT00:00:00Z)

# One record per channel. Sending the same week and channel again replaces it.
curl --fail-with-body --silent --show-error \
  -X POST "{{base_url}}/data/${PULSE_SERVICE:?set PULSE_SERVICE}/transactions-by-channel" \
  -H "Authorization: Bearer ${PULSE_TOKEN:?set PULSE_TOKEN}" \
  -H "Content-Type: application/json" \
  -d @- <<JSON
[
  {"_timestamp": "$MONDAY", "channel": "digital", "count": 812},
  {"_timestamp": "$MONDAY", "channel": "phone", "count": 240},
  {"_timestamp": "$MONDAY", "channel": "paper", "count": 95},
  {"_timestamp": "$MONDAY", "channel": "face_to_face", "count": 31}
]
JSON
echo
