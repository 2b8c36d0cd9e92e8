//! WASI calls that block end at the guest call's deadline.
//!
//! Epoch interruption only stops guest code: a host function that sleeps is not interrupted.
//! WASI preview 1 has two ways to block: `fd_read` on stdin (stdin is closed, so it returns
//! end of file at once) and `poll_oneoff`. kwhost shadows wasmtime-wasi's `poll_oneoff` with
//! this one, which knows the deadline of the current call (`StoreData::call_deadline`): a wait
//! that ends before the deadline is slept, one that would end after it stops the guest at once
//! with the epoch interruption (`Trap::Interrupt`), which becomes the policy-server's timeout
//! response. File descriptor subscriptions are ready at once: stdin is at its end, stdout and
//! stderr are in-memory buffers that always accept writes.
//!
//! The guest's monotonic clock is [`GuestClock`], counted from `StoreData::clock_origin`, so
//! that absolute monotonic timeouts can be turned into waits.

use std::time::{Duration, Instant, SystemTime};

use wasmtime::{Caller, Extern, Linker, Trap};
use wasmtime_wasi::HostMonotonicClock;

use super::wapc::StoreData;

const SUBSCRIPTION_SIZE: usize = 48;
const EVENT_SIZE: usize = 32;
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_BADF: u16 = 8;
const ERRNO_FAULT: i32 = 21;
const ERRNO_INVAL: i32 = 28;
const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
const CLOCKID_REALTIME: u32 = 0;
const CLOCKID_MONOTONIC: u32 = 1;
const SUBCLOCKFLAGS_ABSTIME: u16 = 1;
const EVENTRWFLAGS_HANGUP: u16 = 1;
/// More subscriptions than any real guest uses; beyond it the call is `inval`.
const MAX_SUBSCRIPTIONS: usize = 1024;

/// The guest's monotonic clock: nanoseconds since the store was created.
pub struct GuestClock(pub Instant);

impl HostMonotonicClock for GuestClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Replaces `wasi_snapshot_preview1::poll_oneoff` (call after the WASI functions are linked).
pub fn add_to_linker(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap("wasi_snapshot_preview1", "poll_oneoff", poll_oneoff)?;
    linker.allow_shadowing(false);
    Ok(())
}

fn le_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn le_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn event(userdata: u64, error: u16, kind: u8, nbytes: u64, flags: u16) -> [u8; EVENT_SIZE] {
    let mut event = [0; EVENT_SIZE];
    event[0..8].copy_from_slice(&userdata.to_le_bytes());
    event[8..10].copy_from_slice(&error.to_le_bytes());
    event[10] = kind;
    event[16..24].copy_from_slice(&nbytes.to_le_bytes());
    event[24..26].copy_from_slice(&flags.to_le_bytes());
    event
}

/// How long a clock subscription waits, from now; `None` for a clock that cannot be waited on.
fn clock_wait(subscription: &[u8], origin: Instant, now: Instant) -> Option<Duration> {
    let clock = le_u32(subscription, 16);
    let timeout = le_u64(subscription, 24);
    let absolute = le_u16(subscription, 40) & SUBCLOCKFLAGS_ABSTIME != 0;
    let elapsed_ns = |since: Duration| u64::try_from(since.as_nanos()).unwrap_or(u64::MAX);
    let nanos = match (clock, absolute) {
        (CLOCKID_REALTIME | CLOCKID_MONOTONIC, false) => timeout,
        (CLOCKID_MONOTONIC, true) => timeout.saturating_sub(elapsed_ns(now - origin)),
        (CLOCKID_REALTIME, true) => {
            let since_epoch = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            timeout.saturating_sub(elapsed_ns(since_epoch))
        }
        _ => return None,
    };
    Some(Duration::from_nanos(nanos))
}

fn poll_oneoff(
    mut caller: Caller<'_, StoreData>,
    subscriptions: i32,
    events: i32,
    count: i32,
    events_written: i32,
) -> wasmtime::Result<i32> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Ok(ERRNO_FAULT);
    };
    let count = count as u32 as usize;
    if count == 0 || count > MAX_SUBSCRIPTIONS {
        return Ok(ERRNO_INVAL);
    }
    let start = subscriptions as u32 as usize;
    let Some(subs) = memory
        .data(&caller)
        .get(start..start + count * SUBSCRIPTION_SIZE)
        .map(<[u8]>::to_vec)
    else {
        return Ok(ERRNO_FAULT);
    };
    let now = Instant::now();
    let (origin, deadline) = {
        let data = caller.data();
        (data.clock_origin, data.call_deadline)
    };
    let mut ready = Vec::new();
    let mut clocks = Vec::new();
    for subscription in subs.chunks_exact(SUBSCRIPTION_SIZE) {
        let userdata = le_u64(subscription, 0);
        let fd = le_u32(subscription, 16);
        match subscription[8] {
            EVENTTYPE_CLOCK => match clock_wait(subscription, origin, now) {
                Some(wait) => clocks.push((userdata, wait)),
                None => return Ok(ERRNO_INVAL),
            },
            EVENTTYPE_FD_READ if fd == 0 => ready.push(event(
                userdata,
                0,
                EVENTTYPE_FD_READ,
                0,
                EVENTRWFLAGS_HANGUP,
            )),
            EVENTTYPE_FD_WRITE if fd == 1 || fd == 2 => {
                ready.push(event(userdata, 0, EVENTTYPE_FD_WRITE, 64 * 1024, 0));
            }
            kind @ (EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE) => {
                ready.push(event(userdata, ERRNO_BADF, kind, 0, 0));
            }
            _ => return Ok(ERRNO_INVAL),
        }
    }
    if ready.is_empty() {
        let wait = clocks
            .iter()
            .map(|(_, wait)| *wait)
            .min()
            .unwrap_or_default();
        if now + wait > deadline {
            // The wait would outlast the call's deadline: stop the guest now, as the epoch
            // deadline would have stopped it had it been running.
            return Err(Trap::Interrupt.into());
        }
        std::thread::sleep(wait);
        ready.extend(
            clocks
                .iter()
                .filter(|(_, w)| *w <= wait)
                .map(|(userdata, _)| event(*userdata, 0, EVENTTYPE_CLOCK, 0, 0)),
        );
    }
    let bytes: Vec<u8> = ready.concat();
    if memory
        .write(&mut caller, events as u32 as usize, &bytes)
        .is_err()
    {
        return Ok(ERRNO_FAULT);
    }
    let written = u32::try_from(ready.len()).unwrap_or(u32::MAX).to_le_bytes();
    if memory
        .write(&mut caller, events_written as u32 as usize, &written)
        .is_err()
    {
        return Ok(ERRNO_FAULT);
    }
    Ok(ERRNO_SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock_subscription(clock: u32, timeout: u64, flags: u16) -> [u8; SUBSCRIPTION_SIZE] {
        let mut sub = [0; SUBSCRIPTION_SIZE];
        sub[8] = EVENTTYPE_CLOCK;
        sub[16..20].copy_from_slice(&clock.to_le_bytes());
        sub[24..32].copy_from_slice(&timeout.to_le_bytes());
        sub[40..42].copy_from_slice(&flags.to_le_bytes());
        sub
    }

    #[test]
    fn clock_waits_are_relative_to_now() {
        let origin = Instant::now();
        let now = origin + Duration::from_secs(1);
        let relative = clock_subscription(CLOCKID_MONOTONIC, 5_000, 0);
        assert_eq!(
            clock_wait(&relative, origin, now),
            Some(Duration::from_nanos(5_000))
        );
        let absolute = clock_subscription(CLOCKID_MONOTONIC, 3_000_000_000, SUBCLOCKFLAGS_ABSTIME);
        assert_eq!(
            clock_wait(&absolute, origin, now),
            Some(Duration::from_secs(2))
        );
        let past = clock_subscription(CLOCKID_REALTIME, 1, SUBCLOCKFLAGS_ABSTIME);
        assert_eq!(clock_wait(&past, origin, now), Some(Duration::ZERO));
        let cputime = clock_subscription(2, 1, 0);
        assert_eq!(clock_wait(&cputime, origin, now), None);
    }
}
