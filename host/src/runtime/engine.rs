//! The wasmtime [`Engine`] shared by every policy of a process, and its epoch ticker.

use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::limits::{MAX_MEMORIES, MAX_MEMORY_MIB, MAX_TABLE_ELEMENTS, MAX_TABLES};

/// How often the background thread bumps the engine epoch.
///
/// policy-server ticks once a second; a finer tick makes short test deadlines accurate
/// while keeping deadlines expressed in seconds exactly as policy-server's.
pub const EPOCH_TICK: Duration = Duration::from_millis(100);

/// How instances get their memories and tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocation {
    /// Mapped for each instance and unmapped after it (wasmtime's default, kwctl's).
    OnDemand,
    /// Taken from wasmtime's pooling allocator: slots reserved once, each linear memory reset
    /// to the module's copy-on-write image when its instance ends, and reused by the next.
    Pooling {
        /// Instances alive at once.
        slots: u32,
        /// Bytes of each linear memory kept resident when its slot is freed, and reset in
        /// place (only the pages the guest touched, found with Linux's `PAGEMAP_SCAN` where
        /// the kernel has it) instead of handed back to the kernel: the next instance in that
        /// slot takes no page fault on them.
        keep_resident_bytes: usize,
    },
}

impl Allocation {
    /// The pooling allocator for `concurrent` evaluations at once, with room for a warm
    /// instance each; the first 2 MiB of every memory, more than a policy's peak on a typical
    /// request, stay resident between instances.
    pub fn pooling_for(concurrent: usize) -> Self {
        Allocation::Pooling {
            slots: u32::try_from(concurrent.saturating_mul(2).saturating_add(8))
                .unwrap_or(u32::MAX),
            keep_resident_bytes: 2 << 20,
        }
    }
}

/// Builds the engine the way kwctl's `PolicyEvaluatorBuilder::build_engine` does
/// (function references on, epoch interruption for deadlines) and starts its ticker.
pub fn new_engine() -> wasmtime::Result<Engine> {
    new_engine_with(Allocation::OnDemand)
}

/// [`new_engine`] with the given instance allocation.
pub fn new_engine_with(allocation: Allocation) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.wasm_function_references(true);
    config.epoch_interruption(true);
    if let Allocation::Pooling {
        slots,
        keep_resident_bytes,
    } = allocation
    {
        // Whatever the store's limiter grants must fit in a slot, so that a guest meets the
        // same limits (and the same messages) as with on-demand allocation.
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(slots)
            .total_memories(slots)
            .total_tables(slots.saturating_mul(MAX_TABLES as u32))
            .max_memory_size((MAX_MEMORY_MIB as usize) << 20)
            .max_tables_per_module(MAX_TABLES as u32)
            .max_memories_per_module(MAX_MEMORIES as u32)
            .table_elements(MAX_TABLE_ELEMENTS)
            // A module's instance state (globals, function references) may be larger than
            // wasmtime's 1 MiB default; the on-demand allocator has no such bound.
            .max_core_instance_size(16 << 20)
            .linear_memory_keep_resident(keep_resident_bytes)
            .table_keep_resident(keep_resident_bytes.min(64 << 10))
            .pagemap_scan(Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    let engine = Engine::new(&config)?;
    spawn_epoch_ticker(&engine);
    Ok(engine)
}

/// Increments the epoch every [`EPOCH_TICK`] for as long as the engine is alive.
///
/// The thread holds only a weak reference, so dropping every `Engine` clone ends it.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("kwhost-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .expect("cannot spawn the epoch ticker thread");
}

/// Number of epoch ticks equivalent to `timeout` (at least one).
pub(crate) fn deadline_ticks(timeout: Duration) -> u64 {
    let ticks = timeout.as_millis().div_ceil(EPOCH_TICK.as_millis());
    u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_is_rounded_up_to_whole_ticks() {
        assert_eq!(deadline_ticks(Duration::from_secs(2)), 20);
        assert_eq!(deadline_ticks(Duration::from_millis(150)), 2);
        assert_eq!(deadline_ticks(Duration::ZERO), 1);
    }
}
