//! What the process's memory allocator holds: the bytes live allocations take, told apart from
//! the free bytes it keeps in its arenas. A resident size that grows while the allocations stay
//! level is the allocator's fragmentation, not a leak; both growing is a leak.

/// The allocator's counts at one moment.
#[derive(Clone, Copy, Debug)]
pub struct HeapUsage {
    /// Bytes in live allocations (small ones in the arenas and large ones mapped on their own).
    pub allocated: u64,
    /// Bytes the arenas hold free, not returned to the system.
    pub free: u64,
}

/// The counts from glibc's `mallinfo2` (summed over every arena); `None` where the allocator
/// is not glibc's.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn usage() -> Option<HeapUsage> {
    // SAFETY: mallinfo2 takes no argument and returns a plain struct; it locks each arena in
    // turn while it counts.
    let info = unsafe { libc::mallinfo2() };
    Some(HeapUsage {
        allocated: (info.uordblks + info.hblkhd) as u64,
        free: info.fordblks as u64,
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn usage() -> Option<HeapUsage> {
    None
}

/// Lets the allocator keep at most `arenas` arenas (0: leave its own limit, eight a core);
/// whether it took the setting. glibc fixes the limit when it first needs a new arena, so this
/// must run before the process starts other threads (the `switchboard` command calls it before
/// it builds its runtime). With its own limit each of tokio's workers, sqlx's connection
/// threads and the blocking threads soon has an arena of its own, each keeping what was freed
/// in it for later: under the soak's steady load the free memory held grew to two or three
/// times the live allocations and kept creeping up. With two the real-time benchmark used
/// about 40% less memory (BENCHMARKS.md, "Gaps" and "Endurance").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn limit_arenas(arenas: u32) -> bool {
    const M_ARENA_MAX: libc::c_int = -8;
    if arenas == 0 {
        return true;
    }
    // SAFETY: mallopt only changes the allocator's parameters.
    unsafe { libc::mallopt(M_ARENA_MAX, arenas as libc::c_int) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas(_arenas: u32) -> bool {
    false
}

/// Hands the free memory in the allocator's arenas back to the system every `every`, for as
/// long as the server runs. glibc keeps what a thread freed in that thread's arena for reuse and
/// returns it only from the top of the main heap: under a steady load with a dozen threads the
/// free part grew to two or three times the live allocations and crept upward (BENCHMARKS.md,
/// "Endurance"). `malloc_trim` releases the free pages of every arena; it runs on a blocking
/// thread, as it walks each arena's free lists under that arena's lock.
pub async fn give_back_every(every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let _ = tokio::task::spawn_blocking(give_back).await;
    }
}

/// Gives the arenas' free pages back to the system now; whether any were.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn give_back() -> bool {
    // SAFETY: malloc_trim only rearranges the allocator's own free memory.
    unsafe { libc::malloc_trim(0) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resident_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// One test, so that nothing of this file allocates beside it: a held allocation is counted
    /// until it is freed; many small blocks freed around a few live ones leave free memory the
    /// allocator keeps, and giving it back returns those pages to the system (the resident size
    /// falls) without touching what is live.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn allocations_are_counted_and_free_pages_go_back_to_the_system() {
        // A gibibyte of zeroes is mapped but never touched (no resident cost); other tests
        // allocate and free meanwhile, far less than the margin.
        const BLOCK: u64 = 1 << 30;
        const MARGIN: u64 = 256 << 20;
        let before = usage().unwrap().allocated;
        let block = vec![0u8; BLOCK as usize];
        let holding = usage().unwrap().allocated;
        assert!(holding + MARGIN >= before + BLOCK, "{before} then {holding}");
        drop(block);
        let after = usage().unwrap().allocated;
        assert!(after + BLOCK <= holding + MARGIN, "{holding} then {after}");

        // On a thread of its own, so the blocks sit in a non-main arena as a worker's do.
        let kept = std::thread::spawn(|| {
            let mut blocks: Vec<Vec<u8>> = (0..400_000).map(|i| vec![(i % 251) as u8; 512]).collect();
            // A few survivors allocated after them hold the arena's end, so the freed blocks
            // below cannot be handed back by shrinking it, only page by page.
            let kept: Vec<Vec<u8>> = blocks.iter().step_by(100).cloned().collect();
            blocks.clear();
            blocks.shrink_to_fit();
            kept
        })
        .join()
        .unwrap();
        let free = usage().unwrap().free;
        assert!(free > 150 << 20, "the freed blocks are kept free: {free} bytes");
        let before = resident_kib();
        assert!(give_back(), "there were free pages to give back");
        let after = resident_kib();
        assert!(after + 100 * 1024 < before, "resident {before} KiB, then {after} KiB");
        assert!(kept
            .iter()
            .enumerate()
            .all(|(i, b)| b.len() == 512 && b[0] == ((i * 100) % 251) as u8));
    }
}
