"""The Performance Platform's own Python client (performanceplatform-client
0.11.5, as published) against a live Pulse: chunked and gzipped posts, queries,
emptying, and a refused record. Exits non-zero on any difference."""

import builtins
import sys

# The client was written for Python 2; `basestring` is the one name it needs
# that Python 3 lacks. Nothing else about it is changed.
builtins.basestring = str

from performanceplatform.client import DataSet  # noqa: E402

base, token = sys.argv[1], sys.argv[2]
ds = DataSet.from_group_and_type(base + "/data", "py-client", "transactions", token=token)

records = [
    {
        "_timestamp": "2013-03-%02dT00:00:00Z" % (1 + i % 28),
        "channel": ["digital", "phone"][i % 2],
        "count": i,
        "note": "x" * 30,
    }
    for i in range(250)
]
# 100 records per POST: each body is over 2,048 characters, so the client gzips it.
ds.post(records, chunk_size=100)

grouped = ds.get({"group_by": "channel", "collect": ["count:sum", "count:mean"]})["data"]
assert grouped == [
    {"channel": "digital", "_count": 125, "count:sum": 15500, "count:mean": 124.0},
    {"channel": "phone", "_count": 125, "count:sum": 15625, "count:mean": 125.0},
], grouped

raw = ds.get({"limit": 3})
assert len(raw["data"]) == 3, raw
assert raw["warning"].startswith("Warning: This data-set is unpublished"), raw

weeks = ds.get({"period": "week", "start_at": "2013-03-04T00:00:00Z",
                "end_at": "2013-03-18T00:00:00Z", "collect": "count:sum"})["data"]
assert [w["_start_at"] for w in weeks] == ["2013-03-04T00:00:00+00:00", "2013-03-11T00:00:00+00:00"], weeks

ds.empty_data_set()
assert ds.get()["data"] == []

try:
    ds.post([{"_timestamp": "not-a-date"}])
except Exception as e:  # the client raises on any 4xx
    assert "400" in str(e), e
else:
    raise AssertionError("a bad record was accepted")

print("performanceplatform-client 0.11.5: post (chunked, gzipped), get, empty, refusal: all as expected")
