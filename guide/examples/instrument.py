# A minimal completion-rate counter (Python 3 standard library only).
# Needs PULSE_SERVICE and PULSE_COMPLETION_TOKEN (the completion-rate data set's write token).
import json
import os
import urllib.request
from datetime import datetime, timedelta, timezone

BASE_URL = "{{base_url}}"

# This week's running totals. A real service would keep them per week (and
# start again from zero on Monday), and call flush() every few minutes.
counts = {"start": 0, "end": 0}

def started():
    counts["start"] += 1

def finished():
    counts["end"] += 1

def flush():
    """Sends the week's totals. They replace the week's record (the data set's
    auto_ids are _timestamp and stage), so a retry never counts twice."""
    today = datetime.now(timezone.utc).date()
    monday = (today - timedelta(days=today.weekday())).isoformat() + "T00:00:00Z"
    records = [{"_timestamp": monday, "stage": s, "count": n} for s, n in counts.items()]
    request = urllib.request.Request(
        BASE_URL + "/data/" + os.environ["PULSE_SERVICE"] + "/completion-rate",
        data=json.dumps(records).encode("utf-8"),
        headers={"Authorization": "Bearer " + os.environ["PULSE_COMPLETION_TOKEN"],
                 "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # raises on a 4xx or 5xx
        print(response.read().decode("utf-8"))

# Demo: three people start, two finish, one batch is sent.
started(); started(); started()
finished(); finished()
flush()
