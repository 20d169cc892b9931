// Sends this week's transactions by channel to Pulse (Node.js 20, no packages).
// Needs PULSE_SERVICE (your service's slug) and PULSE_TOKEN (the data set's write token).
const BASE_URL = "{{base_url}}";
const { PULSE_SERVICE, PULSE_TOKEN } = process.env;

// Monday of the current week, 00:00 UTC.
const now = new Date();
const daysSinceMonday = (now.getUTCDay() + 6) % 7;
const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysSinceMonday));
const timestamp = monday.toISOString().slice(0, 10) + "T00:00:00Z";

// One record per channel. Sending the same week and channel again replaces it.
const counts = { digital: 812, phone: 240, paper: 95, face_to_face: 31 };
const records = Object.entries(counts).map(([channel, count]) => ({ _timestamp: timestamp, channel, count }));

const res = await fetch(`${BASE_URL}/data/${PULSE_SERVICE}/transactions-by-channel`, {
  method: "POST",
  headers: { Authorization: `Bearer ${PULSE_TOKEN}`, "Content-Type": "application/json" },
  body: JSON.stringify(records),
});
if (!res.ok) { console.error(await res.text()); process.exit(1); }
console.log(await res.text());
