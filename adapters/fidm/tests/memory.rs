//! Invariant: reading an all-accounts file holds one record at a time — the memory a
//! read needs does not grow with the file. Measured with a counting allocator (alone in
//! this test binary, so no other test disturbs the count).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ivd_fidm::{Encoding, generate, read_accounts};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn peak_while(records: u64) -> usize {
    let planted = [(records, "123456789".parse().unwrap())];
    let file = generate::all_accounts_reader(records, 3, &planted, Encoding::Ebcdic037).unwrap();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut reader = read_accounts(file, Encoding::Ebcdic037);
    let valid = reader.by_ref().filter(|o| o.is_valid()).count() as u64;
    assert_eq!(valid, records);
    drop(reader);
    PEAK.load(Ordering::Relaxed) - base
}

#[test]
fn reading_a_file_ten_times_larger_needs_no_more_memory() {
    let small = peak_while(2_000);
    let large = peak_while(20_000); // 10 MB of records
    assert!(large < 64 * 1024, "peak {large} bytes while reading 10 MB");
    assert!(
        large <= small + 4 * 1024,
        "peak grew from {small} to {large} bytes"
    );
}
