//! Relay-style windows over an ordered result, expressed as offsets.

use crate::error::{ErrorCode, ServiceError};

/// The page a caller asks for, with cursors already decoded to offsets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Items after this offset.
    pub after: Option<u64>,
    /// Items before this offset.
    pub before: Option<u64>,
    /// At most this many from the start of the window.
    pub first: Option<i32>,
    /// At most this many from the end of the window.
    pub last: Option<i32>,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Offset of the first item.
    pub start: u64,
    /// Matching items in total.
    pub total: u64,
    /// More items follow.
    pub has_next: bool,
    /// More items precede.
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// The page of a list served only to its `depth`-th item (search): the window ending at
    /// `window_end` says no page follows once it reaches that depth.
    pub fn served_to(mut self, window_end: u64, depth: u64) -> Self {
        self.has_next &= window_end < depth;
        self
    }

    /// The same page position with other items (after redaction or mapping).
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            start: self.start,
            total: self.total,
            has_next: self.has_next,
            has_previous: self.has_previous,
        }
    }

    /// Maps the items.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            start: self.start,
            total: self.total,
            has_next: self.has_next,
            has_previous: self.has_previous,
        }
    }
}

impl Window {
    /// Resolves the window against `total` items: `(offset, limit)`.
    pub fn resolve(
        &self,
        total: u64,
        default_size: u64,
        max_size: u64,
    ) -> Result<(u64, u64), ServiceError> {
        let size = |n: Option<i32>, name: &str| -> Result<Option<u64>, ServiceError> {
            match n {
                None => Ok(None),
                Some(n) if n < 0 => Err(ServiceError::coded(
                    ErrorCode::InvalidArgument,
                    format!("{name} 不能为负数"),
                )),
                Some(n) if n as u64 > max_size => Err(ServiceError::coded(
                    ErrorCode::InvalidArgument,
                    format!("{name} 最大为 {max_size}"),
                )),
                Some(n) => Ok(Some(n as u64)),
            }
        };
        let first = size(self.first, "first")?;
        let last = size(self.last, "last")?;
        let mut start = self.after.map_or(0, |a| a.saturating_add(1)).min(total);
        let mut end = self.before.map_or(total, |b| b.min(total)).max(start);
        match (first, last) {
            (Some(f), _) => {
                end = end.min(start + f);
                if let Some(l) = last {
                    start = start.max(end.saturating_sub(l));
                }
            }
            (None, Some(l)) => start = start.max(end.saturating_sub(l)),
            (None, None) => end = end.min(start + default_size),
        }
        Ok((start, end - start))
    }

    /// Cuts the window out of a list held in full. Only for lists that are small and bounded
    /// before they get here (an organisation's inline listings, one import's report, a user's
    /// saved searches); anything that grows with use is paged where it is read.
    pub fn slice<T>(
        &self,
        items: Vec<T>,
        default_size: u64,
        max_size: u64,
    ) -> Result<Page<T>, ServiceError> {
        let total = items.len() as u64;
        let (offset, limit) = self.resolve(total, default_size, max_size)?;
        let items = items
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Ok(Self::page(items, offset, total))
    }

    /// Builds the page from the items read at `(start, limit)`.
    pub fn page<T>(items: Vec<T>, start: u64, total: u64) -> Page<T> {
        let end = start + items.len() as u64;
        Page {
            items,
            start,
            total,
            has_next: end < total,
            has_previous: start > 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(after: Option<u64>, before: Option<u64>, first: Option<i32>, last: Option<i32>) -> Window {
        Window {
            after,
            before,
            first,
            last,
        }
    }

    #[test]
    fn first_and_after_walk_forwards() {
        assert_eq!(
            w(None, None, Some(10), None).resolve(25, 20, 100).ok(),
            Some((0, 10))
        );
        assert_eq!(
            w(Some(9), None, Some(10), None).resolve(25, 20, 100).ok(),
            Some((10, 10))
        );
        assert_eq!(
            w(Some(19), None, Some(10), None).resolve(25, 20, 100).ok(),
            Some((20, 5))
        );
        assert_eq!(
            w(Some(30), None, Some(10), None).resolve(25, 20, 100).ok(),
            Some((25, 0))
        );
    }

    #[test]
    fn a_forged_cursor_at_the_largest_offset_is_past_the_end() {
        assert_eq!(
            w(Some(u64::MAX), None, Some(10), None)
                .resolve(25, 20, 100)
                .ok(),
            Some((25, 0))
        );
    }

    #[test]
    fn a_list_served_to_a_depth_ends_there() {
        let items: Vec<u32> = (0..10).collect();
        let at =
            |start: u64| Window::page(items.clone(), start, 50_000).served_to(start + 10, 10_000);
        assert!(at(9_980).has_next, "the page before the depth");
        assert!(!at(9_990).has_next, "the page that reaches it");
        assert!(!at(10_000).has_next);
    }

    #[test]
    fn last_and_before_walk_backwards() {
        assert_eq!(
            w(None, None, None, Some(10)).resolve(25, 20, 100).ok(),
            Some((15, 10))
        );
        assert_eq!(
            w(None, Some(15), None, Some(10)).resolve(25, 20, 100).ok(),
            Some((5, 10))
        );
        assert_eq!(
            w(None, Some(3), None, Some(10)).resolve(25, 20, 100).ok(),
            Some((0, 3))
        );
    }

    #[test]
    fn slices_a_list_held_in_full() {
        let items: Vec<u32> = (0..25).collect();
        let page = w(Some(9), None, Some(10), None)
            .slice(items.clone(), 20, 100)
            .expect("in range");
        assert_eq!(page.items, (10..20).collect::<Vec<_>>());
        assert_eq!((page.start, page.total), (10, 25));
        assert!(page.has_next && page.has_previous);
        let rest = w(Some(19), None, None, None)
            .slice(items.clone(), 20, 100)
            .expect("default size");
        assert_eq!(rest.items, (20..25).collect::<Vec<_>>());
        assert!(!rest.has_next);
        assert!(
            w(None, None, Some(101), None)
                .slice(items, 20, 100)
                .is_err()
        );
    }

    #[test]
    fn rejects_negative_and_oversized_pages() {
        assert!(w(None, None, Some(-1), None).resolve(5, 20, 100).is_err());
        assert!(w(None, None, Some(101), None).resolve(5, 20, 100).is_err());
        assert_eq!(
            w(None, None, None, None).resolve(0, 20, 100).ok(),
            Some((0, 0))
        );
    }
}
