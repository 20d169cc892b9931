//! Demo data: fictional departments, agencies and services with three years of
//! realistic figures, generated deterministically from a seed.
//!
//! Every organisation, service and figure here is invented. The series have
//! seasonality, growing digital take-up, and a few deliberate events an editor
//! would want to explain: deadline surges, outages, a campaign. The data is stored
//! through the same store functions that real data uses.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde_json::{json, Map, Value};

use app::kpi::{period_start, periods_between};
use app::model::PeriodKind;

use crate::error::Result;
use crate::store::{
    audit::{Actor, Note},
    data_sets::{self, DataSetSettings},
    orgs::{self, OrgForUpsert, OrgKind, ServiceForUpsert},
    records::{self, Record},
    Store, Write,
};

/// How many weeks of history each service gets (three years).
pub const WEEKS: i64 = 156;

/// A small, fast, well-mixed generator (SplitMix64): the same seed gives the same
/// numbers on every machine and in every version, which a library RNG cannot promise.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-spread, spread], as a multiplier around 1.
    pub fn jitter(&mut self, spread: f64) -> f64 {
        1.0 + spread * (2.0 * self.unit() - 1.0)
    }
}

struct Department {
    slug: &'static str,
    title: &'static str,
    abbreviation: &'static str,
    agencies: &'static [(&'static str, &'static str, &'static str)],
}

const DEPARTMENTS: &[Department] = &[
    Department {
        slug: "department-for-civic-life",
        title: "Department for Civic Life",
        abbreviation: "DCL",
        agencies: &[("registration-office", "Registration Office", "RO")],
    },
    Department {
        slug: "department-of-transport-and-roads",
        title: "Department of Transport and Roads",
        abbreviation: "DTR",
        agencies: &[
            ("licensing-agency", "Licensing Agency", "LA"),
            ("roads-agency", "Roads Agency", "RA"),
        ],
    },
    Department {
        slug: "department-of-revenue-and-benefits",
        title: "Department of Revenue and Benefits",
        abbreviation: "DRB",
        agencies: &[
            ("tax-collection-office", "Tax Collection Office", "TCO"),
            ("benefits-agency", "Benefits Agency", "BA"),
        ],
    },
    Department {
        slug: "department-for-land-and-environment",
        title: "Department for Land and Environment",
        abbreviation: "DLE",
        agencies: &[("land-records-office", "Land Records Office", "LRO")],
    },
];

/// Something that happened to a service, visible in its figures.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// Every year, the week containing `month`/`day` (a deadline) multiplies volume
    /// by `factor`, and the week before by the square root of it.
    Deadline { month: u32, day: u32, factor: f64 },
    /// `weeks_ago` weeks before the end, the digital channel fell to `digital` of
    /// its usual level and people phoned instead.
    Outage { weeks_ago: i64, digital: f64 },
    /// `weeks_ago` weeks before the end, a campaign lifted volume for three weeks.
    Campaign { weeks_ago: i64, factor: f64 },
}

struct Service {
    slug: &'static str,
    title: &'static str,
    organisation: &'static str,
    description: &'static str,
    /// Transactions in an ordinary week at the start of the history.
    weekly: f64,
    /// Growth of volume over the whole history (0.1 = 10% more by the end).
    growth: f64,
    /// Digital share at the start and at the end.
    digital: (f64, f64),
    /// Strength of the yearly cycle, and the month when it peaks.
    season: (f64, u32),
    /// Cost of a digital and of an assisted transaction, in pounds.
    cost: (f64, f64),
    /// Typical satisfaction score (0 to 1) and completion rate.
    satisfaction: f64,
    completion: f64,
    events: &'static [Event],
}

const SERVICES: &[Service] = &[
    Service {
        slug: "register-a-birth",
        title: "Register a birth",
        organisation: "registration-office",
        description: "Parents register a child's birth and get a birth certificate.",
        weekly: 12_500.0,
        growth: 0.02,
        digital: (0.35, 0.71),
        season: (0.08, 8),
        cost: (3.2, 21.0),
        satisfaction: 0.86,
        completion: 0.84,
        events: &[Event::Outage {
            weeks_ago: 47,
            digital: 0.3,
        }],
    },
    Service {
        slug: "give-notice-of-marriage",
        title: "Give notice of marriage",
        organisation: "registration-office",
        description: "Couples give legal notice of an intended marriage or civil partnership.",
        weekly: 4_100.0,
        growth: 0.05,
        digital: (0.22, 0.58),
        season: (0.3, 5),
        cost: (4.1, 27.5),
        satisfaction: 0.82,
        completion: 0.77,
        events: &[],
    },
    Service {
        slug: "apply-for-a-student-grant",
        title: "Apply for a student grant",
        organisation: "department-for-civic-life",
        description: "Students apply for a grant towards the cost of study.",
        weekly: 18_000.0,
        growth: 0.08,
        digital: (0.74, 0.93),
        season: (0.15, 8),
        cost: (2.4, 16.0),
        satisfaction: 0.78,
        completion: 0.71,
        events: &[Event::Deadline {
            month: 5,
            day: 31,
            factor: 3.1,
        }],
    },
    Service {
        slug: "renew-a-driving-licence",
        title: "Renew a driving licence",
        organisation: "licensing-agency",
        description: "Drivers renew a photocard driving licence every ten years.",
        weekly: 96_000.0,
        growth: 0.04,
        digital: (0.61, 0.87),
        season: (0.06, 3),
        cost: (1.6, 14.5),
        satisfaction: 0.9,
        completion: 0.88,
        events: &[Event::Outage {
            weeks_ago: 21,
            digital: 0.25,
        }],
    },
    Service {
        slug: "book-a-driving-test",
        title: "Book a driving test",
        organisation: "licensing-agency",
        description: "Learners book, change or cancel a practical driving test.",
        weekly: 41_000.0,
        growth: 0.11,
        digital: (0.82, 0.96),
        season: (0.18, 4),
        cost: (1.1, 9.8),
        satisfaction: 0.74,
        completion: 0.69,
        events: &[Event::Campaign {
            weeks_ago: 64,
            factor: 1.9,
        }],
    },
    Service {
        slug: "pay-a-road-user-charge",
        title: "Pay a road user charge",
        organisation: "roads-agency",
        description: "Hauliers pay the charge for heavy goods vehicles using main roads.",
        weekly: 23_000.0,
        growth: 0.03,
        digital: (0.55, 0.83),
        season: (0.05, 10),
        cost: (0.9, 7.4),
        satisfaction: 0.8,
        completion: 0.9,
        events: &[],
    },
    Service {
        slug: "file-a-tax-return",
        title: "File a tax return",
        organisation: "tax-collection-office",
        description: "Self-employed people and landlords file their yearly tax return.",
        weekly: 150_000.0,
        growth: 0.04,
        digital: (0.79, 0.94),
        season: (0.1, 12),
        cost: (1.4, 18.0),
        satisfaction: 0.79,
        completion: 0.81,
        events: &[Event::Deadline {
            month: 1,
            day: 31,
            factor: 4.6,
        }],
    },
    Service {
        slug: "pay-business-rates",
        title: "Pay business rates",
        organisation: "tax-collection-office",
        description: "Businesses pay the yearly rates on their premises.",
        weekly: 31_000.0,
        growth: 0.01,
        digital: (0.48, 0.76),
        season: (0.12, 4),
        cost: (1.9, 12.0),
        satisfaction: 0.72,
        completion: 0.86,
        events: &[Event::Deadline {
            month: 4,
            day: 30,
            factor: 2.2,
        }],
    },
    Service {
        slug: "claim-carers-support",
        title: "Claim carer's support",
        organisation: "benefits-agency",
        description: "People who care for someone at least 35 hours a week claim support.",
        weekly: 9_800.0,
        growth: 0.07,
        digital: (0.41, 0.74),
        season: (0.05, 1),
        cost: (6.5, 38.0),
        satisfaction: 0.83,
        completion: 0.62,
        events: &[Event::Outage {
            weeks_ago: 90,
            digital: 0.4,
        }],
    },
    Service {
        slug: "apply-for-a-winter-fuel-grant",
        title: "Apply for a winter fuel grant",
        organisation: "benefits-agency",
        description: "Older people on low incomes apply for help with heating costs.",
        weekly: 14_000.0,
        growth: 0.03,
        digital: (0.18, 0.47),
        season: (0.7, 12),
        cost: (5.1, 24.0),
        satisfaction: 0.76,
        completion: 0.66,
        events: &[Event::Deadline {
            month: 3,
            day: 31,
            factor: 1.8,
        }],
    },
    Service {
        slug: "check-your-state-pension",
        title: "Check your state pension",
        organisation: "department-of-revenue-and-benefits",
        description: "People check how much state pension they could get and when.",
        weekly: 67_000.0,
        growth: 0.16,
        digital: (0.88, 0.97),
        season: (0.04, 4),
        cost: (0.3, 11.0),
        satisfaction: 0.88,
        completion: 0.93,
        events: &[Event::Campaign {
            weeks_ago: 30,
            factor: 2.4,
        }],
    },
    Service {
        slug: "register-land-ownership",
        title: "Register land ownership",
        organisation: "land-records-office",
        description: "Buyers and their conveyancers register who owns land and property.",
        weekly: 27_000.0,
        growth: -0.04,
        digital: (0.52, 0.81),
        season: (0.12, 7),
        cost: (8.4, 31.0),
        satisfaction: 0.77,
        completion: 0.89,
        events: &[Event::Outage {
            weeks_ago: 8,
            digital: 0.2,
        }],
    },
    Service {
        slug: "apply-for-a-fishing-permit",
        title: "Apply for a fishing permit",
        organisation: "department-for-land-and-environment",
        description: "Anglers buy a permit to fish with a rod and line in rivers and lakes.",
        weekly: 8_200.0,
        growth: 0.06,
        digital: (0.67, 0.9),
        season: (0.65, 6),
        cost: (0.8, 6.9),
        satisfaction: 0.91,
        completion: 0.87,
        events: &[],
    },
    Service {
        slug: "report-fly-tipping",
        title: "Report fly-tipping",
        organisation: "department-for-land-and-environment",
        description: "Members of the public report rubbish dumped illegally.",
        weekly: 5_600.0,
        growth: 0.12,
        digital: (0.57, 0.85),
        season: (0.2, 8),
        cost: (2.7, 15.5),
        satisfaction: 0.69,
        completion: 0.79,
        events: &[Event::Campaign {
            weeks_ago: 110,
            factor: 2.1,
        }],
    },
];

/// The data sets each demo service gets, with their auto_ids.
const DATA_TYPES: [(&str, &[&str]); 4] = [
    ("transactions-by-channel", &["_timestamp", "channel"]),
    ("cost-per-transaction", &["_timestamp"]),
    ("user-satisfaction", &["_timestamp"]),
    ("completion-rate", &["_timestamp", "stage"]),
];

/// The demo service with a live figure and a ranked list on its dashboard.
pub const LIVE_SERVICE: &str = "renew-a-driving-licence";
/// Its pages, with their titles, and how often each is viewed (a share).
const PAGES: [(&str, &str, f64); 8] = [
    ("/renew-driving-licence", "Renew your driving licence", 1.0),
    (
        "/renew-driving-licence/eligibility",
        "Check you can renew online",
        0.82,
    ),
    ("/renew-driving-licence/photo", "Upload a photo", 0.64),
    ("/renew-driving-licence/address", "Your address", 0.58),
    ("/renew-driving-licence/pay", "Pay the fee", 0.47),
    ("/renew-driving-licence/done", "Application complete", 0.41),
    (
        "/renew-driving-licence/over-70",
        "Renew at 70 or over",
        0.22,
    ),
    (
        "/renew-driving-licence/medical",
        "Tell us about a medical condition",
        0.09,
    ),
];

/// The fictional number of people using the live service at `t`: low at
/// night, highest in the early afternoon, with some noise.
pub fn live_count(t: DateTime<Utc>, rng: &mut Rng) -> i64 {
    use chrono::Timelike;
    let hour = f64::from(t.hour()) + f64::from(t.minute()) / 60.0;
    let day = (std::f64::consts::PI * (hour - 1.0) / 24.0)
        .sin()
        .max(0.0)
        .powi(2);
    (120.0 + 1_400.0 * day * rng.jitter(0.06)).round() as i64
}

/// The live service's realtime data set (two-minute counts of the last six
/// hours before now, real time: what a live figure shows) and its top pages
/// (monthly views for a year before `until`).
async fn live_figures(
    store: &Store,
    w: &mut Write,
    service_id: i64,
    seed: u64,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> Result<()> {
    let mut rng = Rng::new(seed ^ 0x5EED_11FE);
    let minute = now.timestamp() - now.timestamp().rem_euclid(120);
    let counts: Vec<Record> = (0..180)
        .rev()
        .map(|i| {
            let t = DateTime::from_timestamp(minute - 120 * i, 0).unwrap_or(now);
            record(
                &["_timestamp"],
                t,
                json!({"unique_visitors": live_count(t, &mut rng)}),
            )
        })
        .collect();
    let month = |i: i64| {
        let first = until.date_naive().with_day(1).unwrap_or(until.date_naive());
        let back = first - chrono::Months::new(i as u32);
        back.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    };
    let mut pages = Vec::new();
    for i in 1..=12 {
        let t = month(i);
        let season = 1.0 + 0.25 * ((t.month0() as f64) / 12.0 * std::f64::consts::TAU).cos();
        for (path, title, share) in PAGES {
            let views = (52_000.0 * share * season * rng.jitter(0.08)).round() as i64;
            pages.push(record(
                &["_timestamp", "page"],
                t,
                json!({"page": path, "title": title, "views": views}),
            ));
        }
    }
    for (data_type, auto_ids, realtime, batch) in [
        ("realtime", &["_timestamp"][..], true, counts),
        ("top-pages", &["_timestamp", "page"][..], false, pages),
    ] {
        let set = DemoSet {
            slug: LIVE_SERVICE,
            data_type,
            auto_ids,
            realtime,
            service_id,
        };
        store_set(store, w, &set, &batch, now, loaded).await?;
    }
    Ok(())
}

/// Feeds the demo's live figure a count every `every`, until the process is
/// stopped: each is written as the write API would (the data set's version
/// moves on, so live modules on every instance follow).
pub async fn feed_live(store: &Store, every: std::time::Duration) -> Result<()> {
    let Some(data_set) = data_sets::find(store, LIVE_SERVICE, "realtime").await? else {
        return Err(crate::error::Error::NotFound(
            "The demo's live data set is missing: load the demo first.".into(),
        ));
    };
    let mut rng = Rng::new(Utc::now().timestamp() as u64);
    loop {
        let now = Utc::now();
        let t = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let count = live_count(t, &mut rng);
        let batch = [record(
            &["_timestamp"],
            t,
            json!({"unique_visitors": count}),
        )];
        let mut w = store.write().await?;
        records::upsert_batch(&mut w, data_set.id, &batch, false, "demo", now).await?;
        w.commit(demo_note("demo.live", LIVE_SERVICE, now)).await?;
        println!(
            "{}: {count} people using {LIVE_SERVICE} now",
            t.format("%H:%M:%S")
        );
        tokio::time::sleep(every).await;
    }
}

/// Builds a record the way the write API would: fields as sent, id from auto_ids.
fn record(auto_ids: &[&str], timestamp: DateTime<Utc>, fields: Value) -> Record {
    let mut fields: Map<String, Value> = match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    fields.remove("_timestamp");
    let auto_ids: Vec<String> = auto_ids.iter().map(|f| f.to_string()).collect();
    Record {
        id: records::identity(&auto_ids, timestamp, &fields)
            .expect("the demo's records have their identifying fields"),
        timestamp,
        fields,
    }
}

/// A smooth rise from `from` to `to` over `x` in [0, 1].
fn logistic(from: f64, to: f64, x: f64) -> f64 {
    let s = 1.0 / (1.0 + (-8.0 * (x - 0.5)).exp());
    from + (to - from) * s
}

/// The demo's figures for one service over the weeks before `until`.
pub struct Generated {
    pub transactions: Vec<Record>,
    pub costs: Vec<Record>,
    pub satisfaction: Vec<Record>,
    pub completion: Vec<Record>,
}

fn generate(service: &Service, index: usize, seed: u64, until: DateTime<Utc>) -> Generated {
    let mut rng = Rng::new(seed ^ (index as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407));
    let end = period_start(PeriodKind::Week, until);
    let start = end - Duration::weeks(WEEKS);
    let weeks = periods_between(PeriodKind::Week, start, end);
    let tau = std::f64::consts::TAU;
    let (season_strength, peak_month) = service.season;
    // Assisted channels split differently for each service, but steadily.
    let phone_share = 0.45 + 0.25 * rng.unit();
    let paper_share = (1.0 - phone_share) * (0.4 + 0.3 * rng.unit());

    let mut transactions = Vec::new();
    let mut completion = Vec::new();
    let mut digital_by_week = Vec::with_capacity(weeks.len());
    let mut outage_weeks = Vec::new();
    for (i, week) in weeks.iter().enumerate() {
        let x = i as f64 / (WEEKS - 1) as f64;
        let weeks_ago = WEEKS - i as i64;
        let mid = week.start + Duration::days(3);
        let year_phase = (mid.ordinal0() as f64 / 365.25 - (peak_month as f64 - 0.5) / 12.0) * tau;
        let mut volume = service.weekly
            * (1.0 + service.growth * x)
            * (1.0 + season_strength * year_phase.cos())
            * rng.jitter(0.04);
        let mut share = logistic(service.digital.0, service.digital.1, x) * rng.jitter(0.015);
        let mut completion_rate = service.completion * rng.jitter(0.02);
        for event in service.events {
            match *event {
                Event::Deadline { month, day, factor } => {
                    for year in [mid.year() - 1, mid.year(), mid.year() + 1] {
                        let Some(date) = chrono::NaiveDate::from_ymd_opt(year, month, day) else {
                            continue;
                        };
                        let deadline = date.and_hms_opt(12, 0, 0).unwrap().and_utc();
                        if deadline >= week.start && deadline < week.end {
                            volume *= factor;
                            completion_rate *= 0.93;
                        } else if deadline >= week.end && deadline < week.end + Duration::weeks(1) {
                            volume *= factor.sqrt();
                        }
                    }
                }
                Event::Outage {
                    weeks_ago: w,
                    digital,
                } if w == weeks_ago => {
                    share *= digital;
                    completion_rate *= 0.55;
                    outage_weeks.push(week.start);
                }
                Event::Campaign {
                    weeks_ago: w,
                    factor,
                } if (w - 2..=w).contains(&weeks_ago) => {
                    volume *= if w == weeks_ago {
                        factor
                    } else {
                        1.0 + (factor - 1.0) * 0.5
                    };
                }
                _ => {}
            }
        }
        let share = share.clamp(0.0, 0.99);
        let digital = (volume * share).round();
        let assisted = volume - digital;
        let phone = (assisted * phone_share).round();
        let paper = (assisted * paper_share).round();
        let face_to_face = (assisted - phone - paper).max(0.0).round();
        digital_by_week.push((week.start, digital, share));
        for (channel, count) in [
            ("digital", digital),
            ("phone", phone),
            ("paper", paper),
            ("face_to_face", face_to_face),
        ] {
            transactions.push(record(
                DATA_TYPES[0].1,
                week.start,
                json!({ "channel": channel, "count": count as i64 }),
            ));
        }
        let started = (digital / completion_rate.clamp(0.2, 1.0)).round();
        for (stage, count) in [("start", started), ("end", digital)] {
            completion.push(record(
                DATA_TYPES[3].1,
                week.start,
                json!({ "stage": stage, "count": count as i64 }),
            ));
        }
    }

    // Quarterly cost per transaction, falling as more people go digital.
    let mut costs = Vec::new();
    for quarter in periods_between(PeriodKind::Quarter, start, end) {
        let shares: Vec<f64> = digital_by_week
            .iter()
            .filter(|(t, _, _)| *t >= quarter.start && *t < quarter.end)
            .map(|(_, _, s)| *s)
            .collect();
        if shares.is_empty() || quarter.end > end {
            continue;
        }
        let share = shares.iter().sum::<f64>() / shares.len() as f64;
        let cost = (share * service.cost.0 + (1.0 - share) * service.cost.1) * rng.jitter(0.03);
        costs.push(record(
            DATA_TYPES[1].1,
            quarter.start,
            json!({ "cost_per_transaction": (cost * 100.0).round() / 100.0 }),
        ));
    }

    // Monthly satisfaction ratings: a bell around the typical score, dented in a
    // month with an outage.
    let mut satisfaction = Vec::new();
    for month in periods_between(PeriodKind::Month, start, end) {
        let digital: f64 = digital_by_week
            .iter()
            .filter(|(t, _, _)| *t >= month.start && *t < month.end)
            .map(|(_, d, _)| d)
            .sum();
        if digital == 0.0 || month.end > end {
            continue;
        }
        let had_outage = outage_weeks
            .iter()
            .any(|t| *t >= month.start && *t < month.end);
        let mut score = service.satisfaction * rng.jitter(0.025);
        if had_outage {
            score -= 0.14;
        }
        let mean = 1.0 + 4.0 * score.clamp(0.05, 0.97);
        let weights: Vec<f64> = (1..=5)
            .map(|k| (-((k as f64 - mean).powi(2)) / 1.4).exp())
            .collect();
        let sum: f64 = weights.iter().sum();
        let responses = (digital * 0.02).max(40.0);
        let counts: Vec<i64> = weights
            .iter()
            .map(|w| (responses * w / sum).round() as i64)
            .collect();
        let total: i64 = counts.iter().sum();
        satisfaction.push(record(
            DATA_TYPES[2].1,
            month.start,
            json!({
                "rating_1": counts[0], "rating_2": counts[1], "rating_3": counts[2],
                "rating_4": counts[3], "rating_5": counts[4], "total": total,
            }),
        ));
    }

    Generated {
        transactions,
        costs,
        satisfaction,
        completion,
    }
}

/// The figures the demo would store for the service at `index`, for tests and the
/// `pulse demo` command alike.
pub fn generate_for(index: usize, seed: u64, until: DateTime<Utc>) -> Option<Generated> {
    SERVICES.get(index).map(|s| generate(s, index, seed, until))
}

/// The position of the demo service with this slug.
pub fn service_index(slug: &str) -> Option<usize> {
    SERVICES.iter().position(|s| s.slug == slug)
}

/// How many services the demo has.
pub fn service_count() -> usize {
    SERVICES.len()
}

/// What `pulse demo` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub services: usize,
    pub data_sets_created: usize,
    pub records_stored: usize,
    pub dashboards_created: usize,
}

/// The audit log's note of one step of loading the demo.
fn demo_note(action: &'static str, target: &str, now: DateTime<Utc>) -> Note {
    Note::new(&Actor::cli(), action, target, json!({ "demo": true }), now)
}

/// Loads the demo organisations, services and data. Data sets that already hold
/// records are left alone, so running it twice changes nothing.
pub async fn load(store: &Store, seed: u64, until: DateTime<Utc>) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    let org_ids = upsert_orgs(store).await?;
    let now = Utc::now();
    for (index, service) in SERVICES.iter().enumerate() {
        let organisation_id = org_ids[service.organisation];
        let mut w = store.write().await?;
        let service_id = orgs::upsert_service(
            &mut w,
            &ServiceForUpsert {
                slug: service.slug,
                title: service.title,
                description: service.description,
                organisation_id,
            },
        )
        .await?;
        loaded.services += 1;
        let generated = generate(service, index, seed, until);
        store_figures(
            store,
            &mut w,
            service.slug,
            service_id,
            &generated,
            now,
            &mut loaded,
        )
        .await?;
        if service.slug == LIVE_SERVICE {
            live_figures(store, &mut w, service_id, seed, until, now, &mut loaded).await?;
        }
        w.commit(demo_note("demo.service", service.slug, now))
            .await?;
    }
    for service in SERVICES {
        if crate::store::dashboards::find(store, service.slug)
            .await?
            .is_none()
        {
            let dashboard = dashboard_for(service);
            crate::domain::dashboards::validate(store, &dashboard).await?;
            let mut w = store.write().await?;
            crate::store::dashboards::save(&mut w, &dashboard, now).await?;
            w.commit(demo_note("dashboard.create", &dashboard.slug, now))
                .await?;
            loaded.dashboards_created += 1;
        }
    }
    notes(store, until, now).await?;
    targets(store, until, now).await?;
    Ok(loaded)
}

/// The demo's targets, so its boards show services on, near and below them:
/// every service aims for 80% digital take-up, 75% completion and 80%
/// satisfaction from the April before last; the tax return service raised its
/// digital aim to 95% last April. Set once: targets already there are kept.
async fn targets(store: &Store, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    use app::boards::NewTarget;
    use app::model::KpiKind;
    if !crate::store::targets::list(store, None).await?.is_empty() {
        return Ok(());
    }
    let april = |year: i32| chrono::NaiveDate::from_ymd_opt(year, 4, 1).unwrap_or_default();
    let last_april = if until.month() >= 4 {
        until.year()
    } else {
        until.year() - 1
    };
    let mut wanted = Vec::new();
    for service in SERVICES {
        for (kpi, value) in [
            (KpiKind::DigitalTakeUp, 0.8),
            (KpiKind::CompletionRate, 0.75),
            (KpiKind::UserSatisfaction, 0.8),
        ] {
            wanted.push((service.slug, kpi, value, april(last_april - 1)));
        }
    }
    wanted.push((
        "file-a-tax-return",
        KpiKind::DigitalTakeUp,
        0.95,
        april(last_april),
    ));
    let mut w = store.write().await?;
    for (service, kpi, value, effective_from) in wanted {
        let target = NewTarget {
            service: service.to_string(),
            kpi,
            value,
            effective_from,
        };
        crate::store::targets::set(&mut w, &target, "Pulse demo", now).await?;
    }
    Ok(w.commit(demo_note("demo.targets", "targets", now)).await?)
}

/// The demo's departments and agencies, made or updated; their ids by slug.
async fn upsert_orgs(store: &Store) -> Result<std::collections::HashMap<&'static str, i64>> {
    let mut org_ids = std::collections::HashMap::new();
    let mut w = store.write().await?;
    for dept in DEPARTMENTS {
        let id = orgs::upsert_org(
            &mut w,
            &OrgForUpsert {
                slug: dept.slug,
                title: dept.title,
                abbreviation: Some(dept.abbreviation),
                kind: OrgKind::Department,
                parent_id: None,
            },
        )
        .await?;
        org_ids.insert(dept.slug, id);
        for (slug, title, abbreviation) in dept.agencies {
            let agency = orgs::upsert_org(
                &mut w,
                &OrgForUpsert {
                    slug,
                    title,
                    abbreviation: Some(abbreviation),
                    kind: OrgKind::Agency,
                    parent_id: Some(id),
                },
            )
            .await?;
            org_ids.insert(slug, agency);
        }
    }
    w.commit(demo_note("demo.organisations", "organisations", Utc::now()))
        .await?;
    Ok(org_ids)
}

/// Stores a service's generated figures in its four published data sets (made
/// when missing); a data set that already holds records is left alone. Written
/// in `w`; what `store` holds already is read from it.
async fn store_figures(
    store: &Store,
    w: &mut Write,
    slug: &str,
    service_id: i64,
    generated: &Generated,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> Result<()> {
    let batches = [
        &generated.transactions,
        &generated.costs,
        &generated.satisfaction,
        &generated.completion,
    ];
    for (&(data_type, auto_ids), batch) in DATA_TYPES.iter().zip(batches) {
        let set = DemoSet {
            slug,
            data_type,
            auto_ids,
            realtime: false,
            service_id,
        };
        store_set(store, w, &set, batch, now, loaded).await?;
    }
    Ok(())
}

/// A demo data set: its service, type and settings.
struct DemoSet<'a> {
    slug: &'a str,
    data_type: &'a str,
    auto_ids: &'a [&'a str],
    realtime: bool,
    service_id: i64,
}

/// Creates the data set unless it is there (published, expected as often as
/// the catalogue says, as for any data set made from the catalogue), and
/// stores `batch` in it when it holds no records.
async fn store_set(
    store: &Store,
    w: &mut Write,
    set: &DemoSet<'_>,
    batch: &[Record],
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> Result<()> {
    let data_set = match data_sets::find(store, set.slug, set.data_type).await? {
        Some(ds) => ds,
        None => {
            loaded.data_sets_created += 1;
            let settings = DataSetSettings {
                auto_ids: set.auto_ids.iter().map(|s| s.to_string()).collect(),
                published: true,
                realtime: set.realtime,
                max_age_expected: app::catalogue::frequency(set.data_type)
                    .map(app::catalogue::expected_age),
                ..DataSetSettings::default()
            };
            let service = Some(set.service_id);
            data_sets::create(w, set.slug, set.data_type, service, &settings, now).await?
        }
    };
    if records::count(store, data_set.id).await? == 0 {
        let written = records::upsert_batch(w, data_set.id, batch, false, "demo", now).await?;
        loaded.records_stored += written.inserted;
    }
    Ok(())
}

/// For benchmarks of many services: `copies` more services beside the demo's,
/// each a copy of a demo service's figures under the
/// same organisation, named `{slug}-copy-{n}`. Returns their slugs.
pub async fn load_copies(
    store: &Store,
    copies: usize,
    seed: u64,
    until: DateTime<Utc>,
) -> Result<Vec<String>> {
    let now = Utc::now();
    let mut loaded = Loaded::default();
    let org_ids = upsert_orgs(store).await?;
    let mut slugs = Vec::new();
    for k in 0..copies {
        let index = k % SERVICES.len();
        let service = &SERVICES[index];
        let n = k / SERVICES.len() + 1;
        let slug = format!("{}-copy-{n}", service.slug);
        let title = format!("{} (copy {n})", service.title);
        let organisation_id = org_ids[service.organisation];
        let mut w = store.write().await?;
        let service_id = orgs::upsert_service(
            &mut w,
            &ServiceForUpsert {
                slug: &slug,
                title: &title,
                description: service.description,
                organisation_id,
            },
        )
        .await?;
        let generated = generate(service, index, seed + n as u64, until);
        store_figures(
            store,
            &mut w,
            &slug,
            service_id,
            &generated,
            now,
            &mut loaded,
        )
        .await?;
        w.commit(demo_note("demo.service", &slug, now)).await?;
        slugs.push(slug);
    }
    Ok(slugs)
}

/// The deliberate events of the demo's figures, by service: the time each one
/// moves the figures (a deadline lifts its week and the week before), and what
/// it is. Everything else in the demo is ordinary seasons, growth and noise.
pub fn deliberate_events(
    until: DateTime<Utc>,
) -> Vec<(&'static str, DateTime<Utc>, DateTime<Utc>, &'static str)> {
    let end = period_start(PeriodKind::Week, until);
    let start = end - Duration::weeks(WEEKS);
    let mut out = Vec::new();
    for service in SERVICES {
        for event in service.events {
            match *event {
                Event::Deadline { month, day, .. } => {
                    for year in start.year()..=end.year() {
                        let Some(date) = chrono::NaiveDate::from_ymd_opt(year, month, day) else {
                            continue;
                        };
                        let week = period_start(
                            PeriodKind::Week,
                            date.and_hms_opt(12, 0, 0).unwrap().and_utc(),
                        );
                        out.push((
                            service.slug,
                            week - Duration::weeks(1),
                            week + Duration::weeks(1),
                            "deadline",
                        ));
                    }
                }
                Event::Outage { weeks_ago, .. } => {
                    let week = end - Duration::weeks(weeks_ago);
                    out.push((service.slug, week, week + Duration::weeks(1), "outage"));
                }
                Event::Campaign { weeks_ago, .. } => {
                    let week = end - Duration::weeks(weeks_ago);
                    out.push((service.slug, week, week + Duration::weeks(3), "campaign"));
                }
            }
        }
    }
    out.retain(|(_, from, to, _)| *from < end && *to > start);
    out
}

/// Editors' notes on some of the demo's events, so that the charts show notes
/// beside spikes that nobody has explained yet. A note already there is not
/// written again.
async fn notes(store: &Store, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    use crate::store::annotations;
    use app::model::{NewAnnotation, Visibility};
    let end = period_start(PeriodKind::Week, until);
    // The last 31 January deadline inside the history.
    let mut deadline_year = end.year();
    let deadline = loop {
        let day = chrono::NaiveDate::from_ymd_opt(deadline_year, 1, 31)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or(end);
        if day < end - Duration::weeks(1) {
            break day;
        }
        deadline_year -= 1;
    };
    let outage = |weeks_ago: i64| end - Duration::weeks(weeks_ago);
    let written: [(&str, NewAnnotation); 3] = [
        (
            "claim-carers-support",
            NewAnnotation {
                service: "claim-carers-support".into(),
                module: None,
                starts_at: outage(90),
                ends_at: None,
                text: "The online service was down for two days after a failed update. \
                       Most people phoned instead, and fewer who started an application \
                       finished it."
                    .into(),
                tags: vec!["outage".into()],
                visibility: Visibility::Public,
            },
        ),
        (
            "file-a-tax-return",
            NewAnnotation {
                service: "file-a-tax-return".into(),
                module: None,
                starts_at: deadline - Duration::days(14),
                ends_at: Some(deadline),
                text: format!(
                    "The {deadline_year} filing deadline (31 January): most people file in \
                     its last fortnight.\nEvery year looks like this."
                ),
                tags: vec!["deadline".into()],
                visibility: Visibility::Public,
            },
        ),
        (
            "file-a-tax-return",
            NewAnnotation {
                service: "file-a-tax-return".into(),
                module: None,
                starts_at: deadline,
                ends_at: None,
                text: "Phone lines were staffed 8am to 8pm in the deadline week; \
                       the contact centre's rota is on the intranet."
                    .into(),
                tags: vec!["deadline".into(), "staffing".into()],
                visibility: Visibility::Internal,
            },
        ),
    ];
    for (service, note) in written {
        let filter = annotations::Filter {
            service: Some(service.to_string()),
            ..annotations::Filter::default()
        };
        let existing = annotations::list(store, &filter).await?;
        if existing.iter().any(|n| n.annotation.text == note.text) {
            continue;
        }
        let mut w = store.write().await?;
        let made = annotations::create(&mut w, &note, (None, "Pulse demo"), now).await?;
        let target = format!("annotation {}", made.annotation.id);
        w.commit(demo_note("annotation.create", &target, now))
            .await?;
    }
    Ok(())
}

/// The demo's people: one of each role. The viewer and the editor belong to the
/// Department of Revenue and Benefits (and so to its agencies' services).
pub const DEMO_USERS: [(&str, &str, app::model::Role); 3] = [
    (
        "viewer@demo.pulse.example",
        "Kathy Morgan",
        app::model::Role::Viewer,
    ),
    (
        "editor@demo.pulse.example",
        "Robin Patel",
        app::model::Role::Editor,
    ),
    (
        "admin@demo.pulse.example",
        "Mario Rossi",
        app::model::Role::Admin,
    ),
];

/// The demo users' organisation.
pub const DEMO_USERS_ORGANISATION: &str = "department-of-revenue-and-benefits";

/// Creates the demo users that do not exist yet, with `password` (or a fresh
/// random one each), and returns the email, role and password of each created.
pub async fn users(
    store: &Store,
    password: Option<&str>,
) -> Result<Vec<(String, &'static str, String)>> {
    let mut created = Vec::new();
    let now = Utc::now();
    for (email, name, role) in DEMO_USERS {
        if crate::store::users::find_by_email(store, email)
            .await?
            .is_some()
        {
            continue;
        }
        let password = password.map(str::to_string).unwrap_or_else(|| {
            // 16 characters from a key's randomness.
            crate::store::api_keys::generate_secret()["pulse_".len()..][..16].to_string()
        });
        let organisations = if role == app::model::Role::Admin {
            Vec::new()
        } else {
            vec![DEMO_USERS_ORGANISATION.to_string()]
        };
        let new = app::model::NewUserRequest {
            email: email.to_string(),
            display_name: name.to_string(),
            role,
            organisations,
            password: password.clone(),
        };
        crate::domain::users::check_password(&password)?;
        let hash = crate::domain::users::hash_password(&password)?;
        let mut w = store.write().await?;
        let user = crate::domain::users::create_in(&mut w, &new, &hash, now).await?;
        w.commit(Note::new(
            &Actor::cli(),
            "user.create",
            format!("user {}", user.id),
            json!({ "email": email, "role": role, "demo": true }),
            now,
        ))
        .await?;
        created.push((email.to_string(), role.as_str(), password));
    }
    Ok(created)
}

/// A published dashboard for a demo service: the modules the dashboard
/// builder's presets give for every KPI (`app::catalogue::modules_for`), as an
/// editor building one gets them, with three years of weekly and two of monthly
/// history where the demo has it; and, so that every module type shows, a
/// section, a line chart, the journey (from the completion data) and a table.
fn dashboard_for(service: &Service) -> app::model::Dashboard {
    use app::catalogue::modules_for;
    use app::model::{Dashboard, DashboardStatus, Module, ModuleType};
    use app::query_string::with_param;
    let slug = service.slug;
    let fictional = |mut m: Module| {
        m.info = format!("Fictional demo data. {}", m.info);
        m
    };
    let preset =
        |key: &str| -> Vec<Module> { modules_for(slug, key).into_iter().map(fictional).collect() };
    let longer = |mut m: Module, duration: &str| {
        m.query = with_param(&m.query, "duration", duration);
        m
    };
    let extra = |module_type, name: &str, title: &str, data_type: &str, query: &str, options| {
        fictional(Module {
            module_type,
            slug: name.to_string(),
            title: title.to_string(),
            description: String::new(),
            info: format!("From the {data_type} data set."),
            data_set: Some(format!("{slug}/{data_type}")),
            query: query.to_string(),
            options,
            modules: Vec::new(),
            frequency: None,
        })
    };
    let mut transactions = preset("transactions").into_iter();
    let (per_month, by_channel) = (transactions.next(), transactions.next());
    let headline = preset("cost_per_transaction")
        .into_iter()
        .chain(per_month)
        .collect();
    let mut modules = vec![Module {
        module_type: ModuleType::Section,
        slug: "headline-figures".into(),
        title: "Headline figures".into(),
        description: String::new(),
        info: String::new(),
        data_set: None,
        query: String::new(),
        options: json!({}),
        modules: headline,
        frequency: None,
    }];
    if slug == LIVE_SERVICE {
        modules.push(extra(
            ModuleType::Realtime,
            "people-now",
            "People using the service now",
            "realtime",
            "",
            json!({"value": "unique_visitors", "hours": 6}),
        ));
    }
    modules.extend(by_channel.map(|m| longer(m, "156")));
    modules.push(extra(
        ModuleType::SingleTimeseries,
        "total-transactions",
        "Total transactions",
        "transactions-by-channel",
        "period=month&duration=36&collect=count:sum",
        json!({}),
    ));
    modules.extend(preset("completion_rate"));
    modules.extend(preset("digital_take_up"));
    modules.extend(
        preset("user_satisfaction")
            .into_iter()
            .map(|m| longer(m, "24")),
    );
    modules.push(extra(
        ModuleType::Journey,
        "journey",
        "Users at each step",
        "completion-rate",
        "period=week&duration=4&group_by=stage&collect=count:sum",
        json!({
            "steps": ["start", "end"],
            "labels": {"start": "Started online", "end": "Finished"},
        }),
    ));
    if slug == LIVE_SERVICE {
        modules.push(extra(
            ModuleType::List,
            "top-pages",
            "Most viewed pages",
            "top-pages",
            "group_by=page&group_by=title&collect=views:sum&sort_by=views:sum:descending&limit=8",
            json!({"link": "https://renew-a-driving-licence.service.example{page}"}),
        ));
    }
    modules.push(extra(
        ModuleType::Table,
        "cost-table",
        "Cost per transaction by quarter",
        "cost-per-transaction",
        "sort_by=_timestamp:descending&limit=12",
        json!({}),
    ));
    Dashboard {
        slug: slug.to_string(),
        title: service.title.to_string(),
        dashboard_type: "transaction".into(),
        strapline: "Service dashboard".into(),
        tagline: String::new(),
        description: service.description.to_string(),
        costs: "Costs include staff, IT and accommodation across all channels.".into(),
        other_notes: String::new(),
        customer_type: Some("Individuals".into()),
        business_model: Some("Department budget".into()),
        service_url: None,
        links: Vec::new(),
        service: Some(slug.to_string()),
        status: DashboardStatus::Published,
        modules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn until() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        for i in 0..service_count() {
            let a = generate_for(i, 42, until()).unwrap();
            let b = generate_for(i, 42, until()).unwrap();
            assert_eq!(a.transactions, b.transactions);
            assert_eq!(a.costs, b.costs);
            assert_eq!(a.satisfaction, b.satisfaction);
            assert_eq!(a.completion, b.completion);
        }
        let other = generate_for(0, 43, until()).unwrap();
        assert_ne!(
            other.transactions,
            generate_for(0, 42, until()).unwrap().transactions
        );
    }

    #[test]
    fn there_is_enough_of_it() {
        assert!(DEPARTMENTS.len() >= 3);
        assert!(service_count() >= 12);
        let g = generate_for(0, 42, until()).unwrap();
        assert_eq!(g.transactions.len(), WEEKS as usize * 4);
        assert_eq!(g.completion.len(), WEEKS as usize * 2);
        assert!(g.costs.len() >= 11, "{} quarters", g.costs.len());
        assert!(
            g.satisfaction.len() >= 35,
            "{} months",
            g.satisfaction.len()
        );
        // Ids are unique within each data set.
        let mut ids: Vec<_> = g.transactions.iter().map(|r| &r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), g.transactions.len());
    }

    fn weekly_totals(g: &Generated) -> Vec<(DateTime<Utc>, f64)> {
        let mut totals: Vec<(DateTime<Utc>, f64)> = Vec::new();
        for r in &g.transactions {
            let count = r.fields["count"].as_f64().unwrap();
            match totals.last_mut() {
                Some((t, sum)) if *t == r.timestamp => *sum += count,
                _ => totals.push((r.timestamp, count)),
            }
        }
        totals
    }

    #[test]
    fn the_tax_deadline_is_an_unmistakable_spike() {
        let index = SERVICES
            .iter()
            .position(|s| s.slug == "file-a-tax-return")
            .unwrap();
        let totals = weekly_totals(&generate_for(index, 42, until()).unwrap());
        let mut sorted: Vec<f64> = totals.iter().map(|(_, v)| *v).collect();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let spikes: Vec<_> = totals.iter().filter(|(_, v)| *v > 3.0 * median).collect();
        // One deadline week in each of the three Januaries covered.
        assert_eq!(spikes.len(), 3, "{spikes:?}");
        assert!(spikes.iter().all(|(t, _)| t.month() == 1 || t.month() == 2));
    }

    #[test]
    fn digital_take_up_grows() {
        let g = generate_for(0, 42, until()).unwrap();
        let share = |from: usize, to: usize| {
            let (mut digital, mut all) = (0.0, 0.0);
            for r in &g.transactions[from * 4..to * 4] {
                let count = r.fields["count"].as_f64().unwrap();
                all += count;
                if r.fields["channel"] == "digital" {
                    digital += count;
                }
            }
            digital / all
        };
        assert!(share(0, 26) + 0.2 < share(130, 156));
    }
}
