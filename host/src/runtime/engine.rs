//! The wasmtime [`Engine`] shared by every policy of a process, and its epoch ticker.

use std::time::Duration;

use wasmtime::{Config, Engine};

/// How often the background thread bumps the engine epoch.
///
/// policy-server ticks once a second; a finer tick makes short test deadlines accurate
/// while keeping deadlines expressed in seconds exactly as policy-server's.
pub const EPOCH_TICK: Duration = Duration::from_millis(100);

/// Builds the engine the way kwctl's `PolicyEvaluatorBuilder::build_engine` does
/// (function references on, epoch interruption for deadlines) and starts its ticker.
pub fn new_engine() -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.wasm_function_references(true);
    config.epoch_interruption(true);
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
