# Sends this week's transactions by channel to Pulse (Python 3 standard library only).
# Needs PULSE_SERVICE (your service's slug) and PULSE_TOKEN (the data set's write token).
import json
import os
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

BASE_URL = "{{base_url}}"
service = os.environ["PULSE_SERVICE"]
token = os.environ["PULSE_TOKEN"]

# Monday of the current week, 00:00 UTC.
today = datetime.now(timezone.utc).date()
monday = (today - timedelta(days=today.weekday())).isoformat() + "T00:00:00Z"

# One record per channel. Sending the same week and channel again replaces it.
counts = {"digital": 812, "phone": 240, "paper": 95, "face_to_face": 31}
records = [{"_timestamp": monday, "channel": c, "count": n} for c, n in counts.items()]

request = urllib.request.Request(
    BASE_URL + "/data/" + service + "/transactions-by-channel",
    data=json.dumps(records).encode("utf-8"),
    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
    method="POST",
)
try:
    with urllib.request.urlopen(request) as response:
        print(response.read().decode("utf-8"))
except urllib.error.HTTPError as error:  # any 4xx or 5xx: show why, then fail
    print(error.read().decode("utf-8"))
    raise
