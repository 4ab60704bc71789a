//! Advice to the kernel on how to back the store's largest buffers.

/// Bytes in a transparent huge page on x86-64 and most aarch64 kernels.
const HUGE_PAGE: usize = 1 << 21;

/// Asks the kernel to back the whole huge pages inside `bytes` bytes from
/// `start` with transparent huge pages (`madvise(MADV_HUGEPAGE)`), so that
/// random reads across a buffer of hundreds of megabytes take a TLB entry a
/// 2 MB page rather than a 4 KB one, and its pages are faulted 512 at a time.
///
/// Advice only: it changes no byte of the buffer, and where the kernel has
/// transparent huge pages off (or is not Linux) nothing happens. Partial
/// huge pages at either end are left as they are. For the store's buffers
/// sized ahead ([`super::Store::reserve`]) and read at random: the
/// signatures' block and the handles' slots.
pub(crate) fn advise_huge_pages(start: *const u8, bytes: usize) {
    let first = (start as usize).next_multiple_of(HUGE_PAGE);
    let end = (start as usize).saturating_add(bytes) / HUGE_PAGE * HUGE_PAGE;
    if end <= first {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: the range lies inside one allocation the caller owns, and
    // MADV_HUGEPAGE only changes how its pages are backed, never what they
    // hold. A failure (no transparent huge pages in this kernel) leaves the
    // memory as it was, so the result is ignored.
    unsafe {
        libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_leaves_the_buffer_as_it_was() {
        let mut buffer = vec![0u16; 3 * HUGE_PAGE];
        for (i, v) in buffer.iter_mut().enumerate() {
            *v = i as u16;
        }
        advise_huge_pages(buffer.as_ptr().cast(), buffer.len() * 2);
        // Too small for a whole huge page: nothing to advise.
        advise_huge_pages(buffer.as_ptr().cast(), 4096);
        assert!(buffer.iter().enumerate().all(|(i, v)| *v == i as u16));
    }
}
