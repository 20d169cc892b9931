//! A column of a table held in memory, in chunks that versions of the table
//! share.
//!
//! A reader holds a version of a table (an `Arc`) for as long as its query
//! runs. A writer that changes the table makes a new version: cloning a
//! column clones only its list of chunks, and a chunk is copied only when a
//! write touches it while a reader still holds it. So appending copies at most
//! the last chunk, replacing records copies the chunks they are in, and a
//! reader's version never changes under it.

use std::ops::Index;
use std::sync::Arc;

/// Rows per chunk: a power of two, so a row's chunk is a shift away.
const CHUNK_BITS: u32 = 14;
const CHUNK: usize = 1 << CHUNK_BITS;
const MASK: usize = CHUNK - 1;

/// Values by row, in chunks of [`CHUNK`].
#[derive(Clone, Debug)]
pub struct Chunked<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> Chunked<T> {
    /// `len` copies of `value`.
    pub fn filled(value: T, len: usize) -> Chunked<T> {
        let mut out = Chunked::default();
        let mut left = len;
        while left > 0 {
            let n = left.min(CHUNK);
            out.chunks.push(Arc::new(vec![value.clone(); n]));
            left -= n;
        }
        out.len = len;
        out
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
    }

    /// The chunks in order, each a slice of consecutive rows (for loops that
    /// run over every row).
    pub fn slices(&self) -> impl Iterator<Item = &[T]> + '_ {
        self.chunks.iter().map(|chunk| chunk.as_slice())
    }

    pub fn push(&mut self, value: T) {
        if self.len & MASK == 0 {
            self.chunks.push(Arc::new(Vec::new()));
        }
        let last = self.chunks.last_mut().expect("a chunk with room");
        Arc::make_mut(last).push(value);
        self.len += 1;
    }

    /// Sets row `row` (which must exist) to `value`.
    pub fn set(&mut self, row: usize, value: T) {
        assert!(row < self.len, "row {row} of {}", self.len);
        Arc::make_mut(&mut self.chunks[row >> CHUNK_BITS])[row & MASK] = value;
    }

    /// Removes row `row` (which must exist), moving the last row into its
    /// place.
    pub fn swap_remove(&mut self, row: usize) {
        assert!(row < self.len, "row {row} of {}", self.len);
        let last_chunk = self.chunks.last_mut().expect("a row, so a chunk");
        let last = Arc::make_mut(last_chunk)
            .pop()
            .expect("a chunk holds a row");
        if last_chunk.is_empty() {
            self.chunks.pop();
        }
        self.len -= 1;
        if row < self.len {
            self.set(row, last);
        }
    }

    /// Gives back the room that growing left spare (in chunks held only here).
    pub fn shrink_to_fit(&mut self) {
        for chunk in &mut self.chunks {
            if let Some(values) = Arc::get_mut(chunk) {
                values.shrink_to_fit();
            }
        }
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, row: usize) -> &T {
        &self.chunks[row >> CHUNK_BITS][row & MASK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_across_chunks_read_as_one_column() {
        let mut c = Chunked::default();
        for i in 0..(2 * CHUNK + 5) {
            c.push(i);
        }
        assert_eq!(c.len(), 2 * CHUNK + 5);
        assert_eq!(c[CHUNK - 1], CHUNK - 1);
        assert_eq!(c[CHUNK], CHUNK);
        assert_eq!(c[2 * CHUNK + 4], 2 * CHUNK + 4);
        assert!(c.iter().copied().eq(0..2 * CHUNK + 5));
        assert_eq!(c.slices().count(), 3);
        let filled = Chunked::filled(7u8, CHUNK + 1);
        assert_eq!((filled.len(), filled[CHUNK]), (CHUNK + 1, 7));
    }

    #[test]
    fn a_version_held_never_changes_and_shares_what_was_not_written() {
        let mut c = Chunked::default();
        for i in 0..(3 * CHUNK) {
            c.push(i);
        }
        let held = c.clone();
        c.set(5, 0);
        c.push(99);
        assert_eq!((held[5], held.len()), (5, 3 * CHUNK));
        assert_eq!((c[5], c[3 * CHUNK]), (0, 99));
        // Only the chunk written to was copied.
        assert!(!Arc::ptr_eq(&c.chunks[0], &held.chunks[0]));
        assert!(Arc::ptr_eq(&c.chunks[1], &held.chunks[1]));
        assert!(Arc::ptr_eq(&c.chunks[2], &held.chunks[2]));
    }

    #[test]
    fn removing_moves_the_last_row_into_the_gap() {
        let mut c = Chunked::default();
        for i in 0..(CHUNK + 1) {
            c.push(i);
        }
        c.swap_remove(3);
        assert_eq!((c.len(), c[3]), (CHUNK, CHUNK));
        assert_eq!(c.chunks.len(), 1, "the emptied chunk goes");
        c.swap_remove(CHUNK - 1);
        assert_eq!(c.len(), CHUNK - 1);
        let mut one = Chunked::default();
        one.push("a");
        one.swap_remove(0);
        assert!(one.is_empty());
    }
}
