//! Per-thread scratch space: buffers that serve call after call on one
//! thread instead of being allocated (and zeroed) for each article.

use std::cell::RefCell;
use std::thread::LocalKey;

/// Calls `f` with this thread's value in `key`, or with a fresh one from
/// `fresh` should the thread's be in use already (a re-entrant call).
pub fn with_scratch<T: 'static, R>(
    key: &'static LocalKey<RefCell<T>>,
    fresh: impl FnOnce() -> T,
    f: impl FnOnce(&mut T) -> R,
) -> R {
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut value) => f(&mut value),
        Err(_) => f(&mut fresh()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static COUNT: RefCell<u32> = const { RefCell::new(0) };
    }

    #[test]
    fn the_thread_value_is_kept_and_a_reentrant_call_gets_a_fresh_one() {
        with_scratch(&COUNT, || 100, |c| *c += 1);
        let (outer, inner) = with_scratch(
            &COUNT,
            || 100,
            |c| {
                *c += 1;
                (*c, with_scratch(&COUNT, || 100, |d| *d + 1))
            },
        );
        assert_eq!((outer, inner), (2, 101));
    }
}
