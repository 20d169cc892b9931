//! Read answers kept as sent, so that a query asked again (every view of a
//! dashboard asks the same ones) is answered without running it.
//!
//! An answer is kept by the data set, the version of its records, whether it
//! was published (the answer then carries no warning), the query as sent and
//! the hour it was asked in: the version moves on with every change to the
//! records, and a query without dates counts its periods back from the start
//! of the current one, which only moves on the hour (periods run from an
//! hour, day, week, month, quarter or year, all starting on the hour, UTC).
//! So a kept answer is always the one running the query again would give.
//! Room is bounded; the answers kept longest go first.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use rustc_hash::FxHashMap;

/// All the answers kept, in bytes, unless told otherwise.
pub const ROOM: usize = 32 << 20;
/// A larger answer (a raw query of many records, say) is not kept.
const LARGEST: usize = 2 << 20;

/// What an answer depends on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Asked {
    pub data_set: i64,
    pub version: i64,
    pub published: bool,
    /// The query string as sent.
    pub query: String,
    /// Hours since the epoch.
    pub hour: i64,
}

/// An answer as sent: CSV or JSON.
#[derive(Clone, Debug)]
pub struct Answer {
    pub csv: bool,
    pub body: Bytes,
}

#[derive(Debug)]
struct Kept {
    answers: FxHashMap<Asked, Answer>,
    /// In the order they were kept.
    order: VecDeque<Asked>,
    bytes: usize,
    /// The most bytes kept (0: none).
    room: usize,
}

/// Answers kept, shared by every request of one process.
#[derive(Clone, Debug)]
pub struct Answers(Arc<Mutex<Kept>>);

impl Default for Answers {
    fn default() -> Self {
        Answers::with_room(ROOM)
    }
}

impl Answers {
    /// Keeping at most `room` bytes of answers (0: none).
    pub fn with_room(room: usize) -> Answers {
        Answers(Arc::new(Mutex::new(Kept {
            answers: FxHashMap::default(),
            order: VecDeque::new(),
            bytes: 0,
            room,
        })))
    }

    pub fn get(&self, asked: &Asked) -> Option<Answer> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.answers.get(asked).cloned()
    }

    /// Keeps `answer` to `asked`, making room by forgetting the oldest.
    pub fn put(&self, asked: Asked, answer: Answer) {
        let size = answer.body.len() + asked.query.len();
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if size > LARGEST.min(kept.room) || kept.answers.contains_key(&asked) {
            return;
        }
        while kept.bytes + size > kept.room {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            if let Some(gone) = kept.answers.remove(&oldest) {
                kept.bytes -= gone.body.len() + oldest.query.len();
            }
        }
        kept.bytes += size;
        kept.order.push_back(asked.clone());
        kept.answers.insert(asked, answer);
    }

    /// How many answers are kept, and their bytes.
    pub fn held(&self) -> (usize, usize) {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        (kept.answers.len(), kept.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(version: i64, query: &str) -> Asked {
        Asked {
            data_set: 1,
            version,
            published: true,
            query: query.into(),
            hour: 500_000,
        }
    }

    fn answer(bytes: usize) -> Answer {
        Answer {
            csv: false,
            body: Bytes::from(vec![b' '; bytes]),
        }
    }

    #[test]
    fn answers_are_kept_by_everything_they_depend_on() {
        let answers = Answers::default();
        answers.put(asked(1, "period=week"), answer(10));
        assert!(answers.get(&asked(1, "period=week")).is_some());
        // Another version, query, hour or publication: not the same answer.
        assert!(answers.get(&asked(2, "period=week")).is_none());
        assert!(answers.get(&asked(1, "period=month")).is_none());
        let mut later = asked(1, "period=week");
        later.hour += 1;
        assert!(answers.get(&later).is_none());
        let mut unpublished = asked(1, "period=week");
        unpublished.published = false;
        assert!(answers.get(&unpublished).is_none());
    }

    #[test]
    fn room_is_bounded_and_the_oldest_go_first() {
        let answers = Answers::default();
        let each = LARGEST - 100;
        let fit = ROOM / (each + 20);
        for n in 0..fit + 3 {
            answers.put(asked(n as i64, "q"), answer(each));
        }
        let (count, bytes) = answers.held();
        assert!(bytes <= ROOM, "{bytes}");
        assert_eq!(count, fit);
        assert!(answers.get(&asked(0, "q")).is_none());
        assert!(answers.get(&asked((fit + 2) as i64, "q")).is_some());
        // Too large to keep at all.
        answers.put(asked(-1, "q"), answer(LARGEST + 1));
        assert!(answers.get(&asked(-1, "q")).is_none());
        // With no room, none.
        let none = Answers::with_room(0);
        none.put(asked(1, "q"), answer(1));
        assert!(none.get(&asked(1, "q")).is_none());
    }
}
