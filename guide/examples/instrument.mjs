// A minimal completion-rate counter (Node.js 20, no packages).
// Needs PULSE_SERVICE and PULSE_COMPLETION_TOKEN (the completion-rate data set's write token).
const BASE_URL = "{{base_url}}";
const { PULSE_SERVICE, PULSE_COMPLETION_TOKEN } = process.env;

// This week's running totals. A real service would keep them per week (and
// start again from zero on Monday), and call flush() every few minutes.
let starts = 0;
let ends = 0;
export function started() { starts += 1; }
export function finished() { ends += 1; }

function mondayThisWeek() {
  const now = new Date();
  const back = (now.getUTCDay() + 6) % 7;
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - back));
  return day.toISOString().slice(0, 10) + "T00:00:00Z";
}

// Sends the week's totals. They replace the week's record (the data set's
// auto_ids are _timestamp and stage), so a retry never counts twice.
export async function flush() {
  const _timestamp = mondayThisWeek();
  const res = await fetch(`${BASE_URL}/data/${PULSE_SERVICE}/completion-rate`, {
    method: "POST",
    headers: { Authorization: `Bearer ${PULSE_COMPLETION_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify([{ _timestamp, stage: "start", count: starts }, { _timestamp, stage: "end", count: ends }]),
  });
  if (!res.ok) { console.error(await res.text()); process.exit(1); }
  console.log(await res.text());
}

// Demo: three people start, two finish, one batch is sent.
started(); started(); started();
finished(); finished();
await flush();
