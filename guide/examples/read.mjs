// Reads a published service's transactions per month and channel, over 6 months,
// and prints them as a small table (Node.js 20, no packages).
const BASE_URL = "{{base_url}}";
const query = "period=month&duration=6&group_by=channel&collect=count:sum";
const url = `${BASE_URL}/data/{{example_service}}/transactions-by-channel?${query}`;

// No token is needed for a published data set.
const res = await fetch(url);
if (!res.ok) { console.error(await res.text()); process.exit(1); }
const answer = await res.json();

// One row per channel; "values" holds one entry per month, oldest first.
for (const group of answer.data) {
  console.log(`${group.channel} - total ${group["count:sum"]}`);
  for (const month of group.values) {
    const total = month["count:sum"]; // null for a month with no records
    console.log(`   ${month._start_at.slice(0, 7)} ${total === null ? "no data" : total}`);
  }
}
if (answer.warning) console.log(answer.warning);
