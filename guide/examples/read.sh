#!/usr/bin/env bash
# Reads a published service's transactions per month and channel, over 6 months.
# No token is needed to read a published data set.
set -euo pipefail

curl --fail-with-body --silent --show-error \
  "{{base_url}}/data/{{example_service}}/transactions-by-channel?period=month&duration=6&group_by=channel&collect=count:sum" \
  | python3 -m json.tool
