# Reads a published service's transactions per month and channel, over 6 months,
# and prints them as a small table (Python 3 standard library only).
import json
import urllib.request

BASE_URL = "{{base_url}}"
QUERY = "period=month&duration=6&group_by=channel&collect=count:sum"
url = BASE_URL + "/data/{{example_service}}/transactions-by-channel?" + QUERY

# No token is needed for a published data set; urlopen raises on a 4xx or 5xx.
with urllib.request.urlopen(url) as response:
    answer = json.load(response)

# One row per channel; "values" holds one entry per month, oldest first.
for group in answer["data"]:
    print(group["channel"], "- total", group["count:sum"])
    for month in group["values"]:
        total = month["count:sum"]  # null (None) for a month with no records
        print("  ", month["_start_at"][:7], "no data" if total is None else total)
if "warning" in answer:
    print(answer["warning"])
