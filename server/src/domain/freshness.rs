//! Whether data is out of date: the one rule, for the service page, dashboards,
//! boards and `/_status/data-sets`.

use app::model::{DataSet, DataSetsStatus, Freshness, PeriodKind, StaleDataSet};
use chrono::{DateTime, Utc};

use crate::domain::query::Cache;
use crate::error::Result;
use crate::store::{data_sets, records, Store};

/// The age a data set's newest record may reach before it is out of date:
/// its `max_age_expected`, but no less than Pulse expects of its own data
/// types that come as often (`frequency`; [`app::catalogue::expected_age`]:
/// two periods and a few days' grace). A record is dated by the start of
/// its period, so the newest whole one is one to two periods old while the
/// data is on time: an expected age shorter than that (Backdrop's default
/// of a day, of data sent by the week) would call data late that is not.
/// `None` when the data set is not watched.
pub fn expected_age(max_age_expected: Option<i64>, frequency: Option<PeriodKind>) -> Option<i64> {
    let age = max_age_expected?;
    Some(frequency.map_or(age, |kind| age.max(app::catalogue::expected_age(kind))))
}

/// How often a data set's records come ([`Cache::frequency`]: the
/// catalogue's frequency of its type, else what its records' times show, as
/// dashboards read it), or `None` when that could not be read (said in the
/// log: its own age is used then).
async fn frequency(store: &Store, cache: &Cache, data_set: &DataSet) -> Option<PeriodKind> {
    match cache
        .frequency(store, data_set.id, data_set.version, &data_set.data_type)
        .await
    {
        Ok(kind) => kind,
        Err(e) => {
            tracing::warn!("how often {} is sent could not be read: {e}", data_set.name);
            None
        }
    }
}

/// The data set with the expected age its freshness is judged by
/// ([`expected_age`]) as its `max_age_expected`. `newest_record` given, it
/// is worked out only where the data set's own would call it out of date (a
/// longer age never makes data late that was not): the times of a data set
/// of a type the catalogue does not know are then read once a version to
/// see how often its records come.
pub async fn as_judged(
    store: &Store,
    cache: &Cache,
    data_set: &DataSet,
    newest_record: Option<Option<DateTime<Utc>>>,
    now: DateTime<Utc>,
) -> DataSet {
    let late = match newest_record {
        Some(newest) => seconds_out_of_date(newest, data_set.max_age_expected, now).is_some(),
        None => data_set.max_age_expected.is_some(),
    };
    let mut judged = data_set.clone();
    if late {
        judged.max_age_expected = expected_age(
            data_set.max_age_expected,
            frequency(store, cache, data_set).await,
        );
    }
    judged
}

/// How many seconds the data is past its expected age (`None` when it is not
/// out of date, is not watched, or holds nothing): its newest record is older
/// than `max_age_expected` seconds (the age [`expected_age`] gives).
pub fn seconds_out_of_date(
    newest_record: Option<DateTime<Utc>>,
    max_age_expected: Option<i64>,
    now: DateTime<Utc>,
) -> Option<i64> {
    let (newest, age) = (newest_record?, max_age_expected?);
    // Saturating: an age stored before ages were bounded may be any number.
    let late = (now - newest).num_seconds().saturating_sub(age);
    (late > 0).then_some(late)
}

/// A data set's freshness from its newest record's `_timestamp` and the time the
/// newest record was written, judged by the age [`expected_age`] gives of its
/// `max_age_expected` and how often its records come (`frequency`: the
/// catalogue's, when `None`); `group` empty leaves the data set's name out.
pub fn freshness(
    group: &str,
    data_type: &str,
    (max_age_expected, frequency): (Option<i64>, Option<PeriodKind>),
    newest_record: Option<DateTime<Utc>>,
    last_received: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Freshness {
    let frequency = frequency.or_else(|| app::catalogue::frequency(data_type));
    let max_age_expected = expected_age(max_age_expected, frequency);
    Freshness {
        data_set: if group.is_empty() {
            String::new()
        } else {
            format!("{group}/{data_type}")
        },
        data_type: data_type.to_string(),
        last_received,
        newest_record,
        newest_whole: None,
        oldest_record: None,
        max_age_expected,
        out_of_date: seconds_out_of_date(newest_record, max_age_expected, now).is_some(),
        frequency,
        checked_at: now,
        gaps: Vec::new(),
    }
}

/// Which watched data sets are out of date now, as `/_status/data-sets`
/// answers (Backdrop's words).
pub async fn data_sets_status(
    store: &Store,
    cache: &Cache,
    now: DateTime<Utc>,
) -> Result<DataSetsStatus> {
    let mut stale = Vec::new();
    for data_set in data_sets::list_without_schemas(store).await?.iter() {
        if data_set.max_age_expected.is_none() {
            continue;
        }
        // (each watched data set's newest record, read once a version: this
        // page is anyone's, and must not read every record each time)
        let last = cache
            .span(store, data_set.id, data_set.version)
            .await?
            .newest;
        let data_set = as_judged(store, cache, data_set, Some(last), now).await;
        let (Some(max_age), Some(last)) = (data_set.max_age_expected, last.as_ref()) else {
            continue;
        };
        if let Some(out_of_date) = seconds_out_of_date(Some(*last), Some(max_age), now) {
            stale.push(StaleDataSet {
                name: data_set.name,
                last_updated: records::format_datetime(*last),
                max_age_expected: max_age,
                seconds_out_of_date: out_of_date,
            });
        }
    }
    let (status, message) = match stale.len() {
        0 => ("ok", "All data_sets are in date".to_string()),
        1 => ("not okay", "1 data-set is out of date".to_string()),
        n => ("not okay", format!("{n} data-sets are out of date")),
    };
    Ok(DataSetsStatus {
        status: status.into(),
        message,
        data_sets: (!stale.is_empty()).then_some(stale),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0).unwrap())
    }

    #[test]
    fn data_is_out_of_date_when_its_newest_record_is_older_than_expected() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let week = Some(8 * 86_400);
        let fresh = freshness("", "x1", (week, None), day(16), day(17), now);
        assert!(!fresh.out_of_date);
        assert_eq!(fresh.data_set, "");
        assert_eq!(fresh.last_received, day(17));
        let stale = freshness("a", "x1", (week, None), day(9), None, now);
        assert!(stale.out_of_date);
        assert_eq!(stale.data_set, "a/x1");
        assert_eq!(
            seconds_out_of_date(day(9), week, now),
            Some(14 * 86_400 + 12 * 3_600 - 8 * 86_400)
        );
        // Exactly at its age: not yet late.
        assert_eq!(seconds_out_of_date(day(15), week, day(23).unwrap()), None);
        // Not watched, or empty: never out of date.
        assert!(!freshness("", "x1", (None, None), day(1), None, now).out_of_date);
        assert!(!freshness("", "x1", (week, None), None, None, now).out_of_date);
    }

    #[test]
    fn data_is_expected_no_sooner_than_pulse_expects_data_as_frequent() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let day_long = Some(86_400);
        // Weekly figures of a kind the catalogue does not know, watched with
        // Backdrop's default of a day, are expected as the catalogue's weekly
        // types are: within 17 days of their week's Monday. The week of 16
        // November, sent on the 23rd, is on time; so is the week of the 9th
        // until the 26th, three days after the next week's end.
        let weekly = |newest, now| {
            freshness(
                "g",
                "visits-by-week",
                (day_long, Some(PeriodKind::Week)),
                newest,
                None,
                now,
            )
        };
        assert!(!weekly(day(16), now).out_of_date);
        assert_eq!(weekly(day(16), now).max_age_expected, Some(17 * 86_400));
        assert!(!weekly(day(9), now).out_of_date);
        assert!(weekly(day(9), now + chrono::Duration::days(3)).out_of_date);
        // With no frequency known, the data set's own age; a longer one
        // stands; the catalogue's types are judged by their frequency too.
        assert!(freshness("g", "visits", (day_long, None), day(16), None, now).out_of_date);
        assert_eq!(
            expected_age(Some(30 * 86_400), Some(PeriodKind::Week)),
            Some(30 * 86_400)
        );
        assert_eq!(
            freshness("g", "user-satisfaction", (day_long, None), None, None, now).max_age_expected,
            Some((62 + 14) * 86_400)
        );
        assert_eq!(
            expected_age(Some(60), Some(PeriodKind::Hour)),
            Some(3 * 3_600)
        );
        assert_eq!(expected_age(None, Some(PeriodKind::Week)), None);
    }
}
