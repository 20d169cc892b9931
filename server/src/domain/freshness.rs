//! Whether data is out of date: the one rule, for the service page, dashboards,
//! boards and `/_status/data-sets`.

use app::model::{DataSetsStatus, Freshness, StaleDataSet};
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::store::{data_sets, records, Store};

/// How many seconds the data is past its expected age (`None` when it is not
/// out of date, is not watched, or holds nothing): its newest record is older
/// than `max_age_expected` seconds.
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
/// newest record was written; `group` empty leaves the data set's name out.
pub fn freshness(
    group: &str,
    data_type: &str,
    max_age_expected: Option<i64>,
    newest_record: Option<DateTime<Utc>>,
    last_received: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Freshness {
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
        frequency: app::catalogue::frequency(data_type),
        checked_at: now,
        gaps: Vec::new(),
    }
}

/// Which watched data sets are out of date now, as `/_status/data-sets`
/// answers (Backdrop's words).
pub async fn data_sets_status(store: &Store, now: DateTime<Utc>) -> Result<DataSetsStatus> {
    let newest: std::collections::HashMap<i64, DateTime<Utc>> = records::newest_timestamps(store)
        .await?
        .into_iter()
        .collect();
    let mut stale = Vec::new();
    for data_set in data_sets::list(store).await? {
        let (Some(max_age), Some(last)) = (data_set.max_age_expected, newest.get(&data_set.id))
        else {
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
        let fresh = freshness("", "transactions-by-channel", week, day(16), day(17), now);
        assert!(!fresh.out_of_date);
        assert_eq!(fresh.data_set, "");
        assert_eq!(fresh.last_received, day(17));
        let stale = freshness("a", "transactions-by-channel", week, day(9), None, now);
        assert!(stale.out_of_date);
        assert_eq!(stale.data_set, "a/transactions-by-channel");
        assert_eq!(
            seconds_out_of_date(day(9), week, now),
            Some(14 * 86_400 + 12 * 3_600 - 8 * 86_400)
        );
        // Exactly at its age: not yet late.
        assert_eq!(seconds_out_of_date(day(15), week, day(23).unwrap()), None);
        // Not watched, or empty: never out of date.
        assert!(!freshness("", "x1", None, day(1), None, now).out_of_date);
        assert!(!freshness("", "x1", week, None, None, now).out_of_date);
    }
}
