//! The wasmtime [`Engine`] shared by every policy of a process, and its epoch ticker.

use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the background thread bumps the engine epoch.
///
/// policy-server ticks once a second; a finer tick makes short test deadlines accurate
/// while keeping deadlines expressed in seconds exactly as policy-server's.
pub const EPOCH_TICK: Duration = Duration::from_millis(100);

/// How instances get their memories and tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocation {
    /// Allocated for each instance and freed after it (wasmtime's default, kwctl's).
    OnDemand,
    /// Taken from wasmtime's pooling allocator: slots reserved once, linear memories reset
    /// copy-on-write from the module's memory image, reused by the next instance.
    Pooling {
        /// Instances alive at once.
        slots: u32,
        /// Largest linear memory of a slot, in bytes.
        max_memory_bytes: usize,
    },
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
        max_memory_bytes,
    } = allocation
    {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(slots)
            .total_memories(slots)
            .total_tables(slots)
            .max_memory_size(max_memory_bytes);
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
