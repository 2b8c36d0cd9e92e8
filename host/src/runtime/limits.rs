//! What one evaluation may use: the per-call deadline and the bound on the whole evaluation,
//! linear memory, table elements, tables, memories and instances (docs/security.md,
//! "Host sandbox").

use std::time::{Duration, Instant};

use wasmtime::ResourceLimiter;

/// The largest `--timeout` / `timeoutSeconds` accepted, in seconds.
pub const MAX_TIMEOUT_SECS: f64 = 300.0;
/// The largest `--memory-limit` / `memoryLimitMiB` accepted: a wasm32 memory cannot grow past
/// 4 GiB.
pub const MAX_MEMORY_MIB: u64 = 4096;
/// The whole evaluation (`_start`, `wapc_init`, `validate_settings`, `validate`) ends at this
/// multiple of the per-call deadline, however the guest spreads its time over the calls.
pub const EVALUATION_BOUND_FACTOR: u32 = 2;
/// Elements one table may hold. Policies built by rustc have one table of about 200
/// functions; each element costs the host 8 to 16 bytes, outside `memory_bytes`.
pub const MAX_TABLE_ELEMENTS: usize = 10_000;
/// Tables, memories and instances one store may hold (a waPC guest needs one memory and one
/// instance; rustc emits one table).
pub const MAX_TABLES: usize = 4;
pub const MAX_MEMORIES: usize = 1;
pub const MAX_INSTANCES: usize = 1;

/// Per-instance resource caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutionLimits {
    /// Deadline of each guest call (`_start`, `wapc_init`, `validate_settings`, `validate`):
    /// policy-server's `timeoutEvalSeconds`, 2 s by default. The whole evaluation is bounded by
    /// [`EVALUATION_BOUND_FACTOR`] times this.
    pub timeout: Duration,
    /// Maximum linear memory of the instance, in bytes.
    pub memory_bytes: usize,
}

impl Default for ExecutionLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            memory_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A `--timeout` or `--memory-limit` (or suite key) outside what the host accepts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LimitError {
    #[error(
        "the timeout must be a number of seconds greater than 0 and at most {MAX_TIMEOUT_SECS}, got {0}"
    )]
    Timeout(f64),
    #[error("the memory limit must be a number of MiB from 1 to {MAX_MEMORY_MIB}, got {0}")]
    Memory(u64),
}

impl ExecutionLimits {
    /// Checked limits: `timeout_secs` finite, above 0 and at most [`MAX_TIMEOUT_SECS`];
    /// `memory_mib` from 1 to [`MAX_MEMORY_MIB`].
    pub fn new(timeout_secs: f64, memory_mib: u64) -> Result<Self, LimitError> {
        Ok(Self {
            timeout: checked_timeout(timeout_secs)?,
            memory_bytes: checked_memory(memory_mib)?,
        })
    }

    /// When the whole evaluation must be over, counted from `start`.
    pub fn evaluation_deadline(&self, start: Instant) -> Instant {
        let bound = self.timeout.saturating_mul(EVALUATION_BOUND_FACTOR);
        start
            .checked_add(bound)
            .unwrap_or_else(|| start + Duration::from_secs(86_400))
    }
}

pub fn checked_timeout(secs: f64) -> Result<Duration, LimitError> {
    if secs.is_finite() && secs > 0.0 && secs <= MAX_TIMEOUT_SECS {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(LimitError::Timeout(secs))
    }
}

pub fn checked_memory(mib: u64) -> Result<usize, LimitError> {
    if (1..=MAX_MEMORY_MIB).contains(&mib) {
        usize::try_from(mib * 1024 * 1024).map_err(|_| LimitError::Memory(mib))
    } else {
        Err(LimitError::Memory(mib))
    }
}

/// A limit the guest ran into: a growth the limiter refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    Memory { limit: usize, desired: usize },
    TableElements { limit: usize, desired: usize },
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MIB: usize = 1024 * 1024;
        match *self {
            LimitHit::Memory { limit, desired } => write!(
                f,
                "the guest hit its memory limit of {} MiB: growing its memory to {} MiB was refused",
                limit / MIB,
                desired.div_ceil(MIB)
            ),
            LimitHit::TableElements { limit, desired } => write!(
                f,
                "the guest hit its table limit of {limit} elements: growing a table to {desired} elements was refused"
            ),
        }
    }
}

/// The store's [`ResourceLimiter`]: refuses growth past the limits and remembers the first
/// refusal, so that diagnostics can name the limit a failing guest hit.
#[derive(Debug)]
pub struct GuestLimiter {
    memory_bytes: usize,
    hit: Option<LimitHit>,
    /// The largest linear memory granted so far (`kwhost bench` reports it).
    peak_memory: usize,
}

impl GuestLimiter {
    pub fn new(limits: &ExecutionLimits) -> Self {
        Self {
            memory_bytes: limits.memory_bytes,
            hit: None,
            peak_memory: 0,
        }
    }

    /// The largest linear memory granted so far, in bytes.
    pub fn peak_memory(&self) -> usize {
        self.peak_memory
    }

    /// The first growth refused so far.
    pub fn hit(&self) -> Option<LimitHit> {
        self.hit
    }
}

impl ResourceLimiter for GuestLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.memory_bytes;
        if allowed {
            self.peak_memory = self.peak_memory.max(desired);
        } else {
            self.hit.get_or_insert(LimitHit::Memory {
                limit: self.memory_bytes,
                desired,
            });
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= MAX_TABLE_ELEMENTS;
        if !allowed {
            self.hit.get_or_insert(LimitHit::TableElements {
                limit: MAX_TABLE_ELEMENTS,
                desired,
            });
        }
        Ok(allowed)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_validated() {
        assert!(ExecutionLimits::new(2.0, 64).is_ok());
        assert!(ExecutionLimits::new(MAX_TIMEOUT_SECS, MAX_MEMORY_MIB).is_ok());
        for bad in [
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            1e20,
            MAX_TIMEOUT_SECS + 1.0,
        ] {
            assert!(
                matches!(ExecutionLimits::new(bad, 64), Err(LimitError::Timeout(_))),
                "{bad}"
            );
        }
        for bad in [0, MAX_MEMORY_MIB + 1, u64::MAX] {
            assert_eq!(ExecutionLimits::new(2.0, bad), Err(LimitError::Memory(bad)));
        }
    }

    #[test]
    fn the_first_refused_growth_is_remembered() {
        let mut limiter = GuestLimiter::new(&ExecutionLimits::default());
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert_eq!(limiter.hit(), None);
        assert!(
            !limiter
                .table_growing(0, MAX_TABLE_ELEMENTS + 1, None)
                .unwrap()
        );
        assert!(!limiter.memory_growing(0, 65 << 20, None).unwrap());
        assert_eq!(
            limiter.hit().unwrap().to_string(),
            "the guest hit its table limit of 10000 elements: growing a table to 10001 elements was refused"
        );
        let mut limiter = GuestLimiter::new(&ExecutionLimits::default());
        assert!(!limiter.memory_growing(0, (64 << 20) + 65536, None).unwrap());
        assert_eq!(
            limiter.hit().unwrap().to_string(),
            "the guest hit its memory limit of 64 MiB: growing its memory to 65 MiB was refused"
        );
    }

    #[test]
    fn the_evaluation_bound_is_a_multiple_of_the_timeout() {
        let start = Instant::now();
        let limits = ExecutionLimits::new(1.5, 64).unwrap();
        assert_eq!(
            limits.evaluation_deadline(start) - start,
            Duration::from_secs(3)
        );
        let huge = ExecutionLimits {
            timeout: Duration::MAX,
            ..limits
        };
        assert!(huge.evaluation_deadline(start) > start);
    }
}
