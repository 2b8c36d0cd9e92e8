//! Loading policies (`PolicyModule`, one `InstancePre` each) and running guest calls
//! in fresh, resource-capped instances (`GuestInstance`).

use kwhost_artifact::METADATA_SECTION;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Engine, ExternType, InstancePre, Linker, Module, Store, Trap, TypedFunc, ValType};
use wasmtime_wasi::WasiCtxBuilder;

use super::cache::ModuleCache;
use super::engine::deadline_ticks;
use super::limits::{ExecutionLimits, GuestLimiter, LimitHit};
use super::output::CapturedOutput;
use super::wapc::{self, HostCallback, StoreData, WapcState};
use super::wasi_deadline::{self, GuestClock};

/// The literal text wasmtime-provider stores as guest error when the epoch deadline is hit.
pub const DEADLINE_EXCEEDED: &str = "guest code interrupted, execution deadline exceeded";

/// Where a guest's WASI stdout and stderr (and its `__console_log` lines) go. Either way they
/// are captured into a [`CapturedOutput`] of at most [`CapturedOutput::LIMIT`] bytes per
/// evaluation: a guest never writes to the host's stdout, and its stdin is closed.
#[derive(Clone, Default)]
pub enum GuestStdio {
    /// Captured, then copied to the host's stderr when the instance is dropped (what
    /// `kwhost run` shows, as kwctl shows a policy's `println!` on the terminal).
    #[default]
    Inherit,
    /// Captured into this buffer (suites scan and show it).
    Capture(CapturedOutput),
}

/// Why a module cannot be used as a waPC policy. All are "unusable input" (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read module {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a WebAssembly module (no `\\0asm` header)")]
    NotWasm { path: PathBuf },
    #[error("cannot compile module {path}: {message}")]
    Compile { path: PathBuf, message: String },
    #[error("module {path} is not a waPC policy: {reason}")]
    NotWapc { path: PathBuf, reason: NotWapc },
    #[error("cannot link module {path}: {message}")]
    Link { path: PathBuf, message: String },
}

/// What a module lacks to be a waPC guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotWapc {
    #[error("export `__guest_call` must be a function (i32, i32) -> i32")]
    GuestCallSignature,
    #[error("it does not export `__guest_call`")]
    NoGuestCall,
    #[error("it does not export a memory named `memory`")]
    NoMemory,
}

/// A guest call that did not produce a response (wapc `GuestCallFailure`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GuestCallError {
    /// The guest error, or the trap text.
    pub message: String,
    /// The epoch deadline interrupted the guest.
    pub interrupted: bool,
    /// The first growth of memory or of a table that the limits refused during the
    /// evaluation, if any: host diagnostics name it (the response does not, as upstream's).
    pub limit_hit: Option<LimitHit>,
}

impl GuestCallError {
    fn failure(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            interrupted: false,
            limit_hit: None,
        }
    }

    fn interrupted() -> Self {
        Self {
            message: DEADLINE_EXCEEDED.to_owned(),
            interrupted: true,
            limit_hit: None,
        }
    }

    /// Turns a wasmtime error (trap, host-function error) into the guest error text.
    fn from_wasmtime(error: &wasmtime::Error) -> Self {
        let trap = error
            .downcast_ref::<Trap>()
            .or_else(|| error.root_cause().downcast_ref::<Trap>());
        match trap {
            Some(Trap::Interrupt) => Self::interrupted(),
            Some(trap) => Self::failure(trap.to_string()),
            None => Self::failure(error.root_cause().to_string()),
        }
    }
}

/// The engine or its linker cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot create the wasmtime engine: {reason}")]
    Engine { reason: wasmtime::Error },
    #[error("cannot add the WASI and waPC host functions to the linker: {reason}")]
    Linker { reason: wasmtime::Error },
}

/// Engine, WASI + waPC linker and compiled-module cache: one per process.
pub struct Runtime {
    engine: Engine,
    linker: Linker<StoreData>,
    cache: ModuleCache,
}

impl Runtime {
    pub fn new(cache: ModuleCache) -> Result<Self, RuntimeError> {
        Self::with_allocation(cache, super::engine::Allocation::OnDemand)
    }

    /// A runtime whose instances are allocated as `allocation` says (`kwhost bench`
    /// compares both).
    pub fn with_allocation(
        cache: ModuleCache,
        allocation: super::engine::Allocation,
    ) -> Result<Self, RuntimeError> {
        let engine = super::engine::new_engine_with(allocation)
            .map_err(|reason| RuntimeError::Engine { reason })?;
        let mut linker = Linker::new(&engine);
        let linker_error = |reason| RuntimeError::Linker { reason };
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |data: &mut StoreData| &mut data.wasi)
            .map_err(linker_error)?;
        wasi_deadline::add_to_linker(&mut linker).map_err(linker_error)?;
        wapc::add_to_linker(&mut linker).map_err(linker_error)?;
        Ok(Self {
            engine,
            linker,
            cache,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Reads, compiles (or loads from the cache), checks and pre-links a policy.
    pub fn load_module(&self, path: &Path) -> Result<PolicyModule, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        self.load_module_bytes(path, &bytes)
    }

    /// As [`Runtime::load_module`], for bytes already in memory; `path` names them in errors.
    /// A path ending in `.wat` holds the text format (test guests), assembled first.
    pub fn load_module_bytes(&self, path: &Path, bytes: &[u8]) -> Result<PolicyModule, LoadError> {
        let path = path.to_path_buf();
        let assembled;
        let bytes = if path.extension().is_some_and(|e| e == "wat") {
            assembled = wat::parse_bytes(bytes).map_err(|e| LoadError::Compile {
                path: path.clone(),
                message: e.to_string(),
            })?;
            &assembled[..]
        } else {
            bytes
        };
        if !bytes.starts_with(b"\0asm") {
            return Err(LoadError::NotWasm { path });
        }
        let module = self
            .cache
            .load(&self.engine, bytes)
            .map_err(|e| LoadError::Compile {
                path: path.clone(),
                message: format!("{e:?}"),
            })?;
        check_wapc_exports(&module).map_err(|reason| LoadError::NotWapc {
            path: path.clone(),
            reason,
        })?;
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|e| LoadError::Link {
                path: path.clone(),
                message: e.to_string(),
            })?;
        Ok(PolicyModule {
            path,
            pre,
            metadata_section: read_custom_section(bytes, METADATA_SECTION),
        })
    }
}

/// `__guest_call: (i32, i32) -> i32` and `memory` are what the waPC host resolves.
fn check_wapc_exports(module: &Module) -> Result<(), NotWapc> {
    match module.get_export("__guest_call") {
        Some(ExternType::Func(func))
            if func
                .params()
                .map(|p| matches!(p, ValType::I32))
                .eq([true, true])
                && func.results().map(|r| matches!(r, ValType::I32)).eq([true]) => {}
        Some(_) => return Err(NotWapc::GuestCallSignature),
        None => return Err(NotWapc::NoGuestCall),
    }
    match module.get_export("memory") {
        Some(ExternType::Memory(_)) => Ok(()),
        _ => Err(NotWapc::NoMemory),
    }
}

/// The payload of the first custom section called `name` (kwctl reads the first one too).
fn read_custom_section(bytes: &[u8], name: &str) -> Option<Vec<u8>> {
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(wasmparser::Payload::CustomSection(section)) if section.name() == name => {
                return Some(section.data().to_vec());
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// A compiled, pre-linked policy; cheap to instantiate, shared across threads.
#[derive(Clone)]
pub struct PolicyModule {
    path: PathBuf,
    pre: InstancePre<StoreData>,
    metadata_section: Option<Vec<u8>>,
}

impl PolicyModule {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Raw bytes of the embedded `io.kubewarden.metadata` section, if annotated.
    pub fn metadata_section(&self) -> Option<&[u8]> {
        self.metadata_section.as_deref()
    }

    /// A fresh instance (new Store), with `_start` and `wapc_init` already run.
    pub fn instantiate(
        &self,
        limits: ExecutionLimits,
        stdio: &GuestStdio,
        callback: Arc<dyn HostCallback>,
    ) -> Result<GuestInstance, GuestCallError> {
        GuestInstance::new(self, limits, stdio, callback)
    }
}

/// One live guest instance. Discard it after a timeout: its Store may be inconsistent.
pub struct GuestInstance {
    store: Store<StoreData>,
    guest_call: TypedFunc<(i32, i32), i32>,
    /// The deadline of each call.
    timeout: Duration,
    /// The bound on the whole evaluation ([`ExecutionLimits::evaluation_deadline`]).
    evaluation_deadline: Instant,
    /// `GuestStdio::Inherit`: copy the captured output to stderr when dropped.
    forward_output: bool,
}

/// Arms the deadline of the next guest call: the per-call timeout, or what is left of the
/// evaluation's bound when that is shorter. `Err` when nothing is left.
fn arm_deadline(
    store: &mut Store<StoreData>,
    timeout: Duration,
    evaluation_deadline: Instant,
) -> Result<(), GuestCallError> {
    let now = Instant::now();
    let budget = timeout.min(evaluation_deadline.saturating_duration_since(now));
    if budget.is_zero() {
        return Err(GuestCallError::interrupted());
    }
    store.set_epoch_deadline(deadline_ticks(budget));
    store.data_mut().call_deadline = now + budget;
    Ok(())
}

/// The guest error of a failed call, with the limit the guest hit, if any.
fn call_error(store: &Store<StoreData>, mut error: GuestCallError) -> GuestCallError {
    error.limit_hit = store.data().limiter.hit();
    error
}

impl GuestInstance {
    fn new(
        module: &PolicyModule,
        limits: ExecutionLimits,
        stdio: &GuestStdio,
        callback: Arc<dyn HostCallback>,
    ) -> Result<Self, GuestCallError> {
        let engine = module.pre.module().engine();
        let clock_origin = Instant::now();
        let evaluation_deadline = limits.evaluation_deadline(clock_origin);
        let (output, forward_output) = match stdio {
            GuestStdio::Inherit => (CapturedOutput::new(), true),
            GuestStdio::Capture(output) => (output.clone(), false),
        };
        // No arguments, environment or preopens (kwctl's WasiParams::default()); stdin left
        // closed (WasiCtxBuilder's default: end of file at once); stdout and stderr captured.
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(output.clone())
            .stderr(output.clone())
            .monotonic_clock(GuestClock(clock_origin));
        let data = StoreData {
            wasi: wasi.build_p1(),
            limiter: GuestLimiter::new(&limits),
            wapc: WapcState::default(),
            callback,
            output,
            clock_origin,
            call_deadline: clock_origin,
        };
        let mut store = Store::new(engine, data);
        store.limiter(|data| &mut data.limiter);
        store.epoch_deadline_trap();
        let timeout = limits.timeout;
        let failed = |store: &Store<StoreData>, error: &wasmtime::Error| {
            call_error(store, GuestCallError::from_wasmtime(error))
        };
        arm_deadline(&mut store, timeout, evaluation_deadline)?;
        let instance = match module.pre.instantiate(&mut store) {
            Ok(instance) => instance,
            Err(error) => return Err(failed(&store, &error)),
        };
        // REQUIRED_STARTS = ["_start", "wapc_init"], each optional.
        for start in ["_start", "wapc_init"] {
            // Looked up without building an error for a missing export: with
            // RUST_BACKTRACE set, every error captures a backtrace, which cost more than the
            // whole instantiation.
            let Some(Ok(func)) = instance
                .get_func(&mut store, start)
                .map(|f| f.typed::<(), ()>(&store))
            else {
                continue;
            };
            arm_deadline(&mut store, timeout, evaluation_deadline)?;
            if let Err(error) = func.call(&mut store, ()) {
                let clean_exit = error
                    .downcast_ref::<wasmtime_wasi::I32Exit>()
                    .or_else(|| error.root_cause().downcast_ref::<wasmtime_wasi::I32Exit>())
                    .is_some_and(|exit| exit.0 == 0);
                if !clean_exit {
                    return Err(failed(&store, &error));
                }
            }
        }
        let guest_call = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "__guest_call")
            .map_err(|e| GuestCallError::failure(e.to_string()))?;
        Ok(Self {
            store,
            guest_call,
            timeout,
            evaluation_deadline,
            forward_output,
        })
    }

    /// The largest linear memory the guest has had, in bytes.
    pub fn peak_memory_bytes(&self) -> usize {
        self.store.data().limiter.peak_memory()
    }

    /// The first growth the limits refused so far, if any.
    pub fn limit_hit(&self) -> Option<LimitHit> {
        self.store.data().limiter.hit()
    }

    /// One waPC call (docs/protocol.md §1.3): `Ok(response bytes)` or the guest error.
    pub fn call(&mut self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, GuestCallError> {
        let (Ok(op_len), Ok(payload_len)) =
            (i32::try_from(operation.len()), i32::try_from(payload.len()))
        else {
            return Err(GuestCallError::failure(
                "payload too large for a wasm32 guest",
            ));
        };
        self.store
            .data_mut()
            .wapc
            .begin_invocation(operation, payload);
        arm_deadline(&mut self.store, self.timeout, self.evaluation_deadline)?;
        let result = self.guest_call.call(&mut self.store, (op_len, payload_len));
        let state = &mut self.store.data_mut().wapc;
        let outcome = match result {
            Ok(1) => match (state.guest_response.take(), state.guest_error.take()) {
                (Some(response), _) => Ok(response),
                (None, Some(error)) => Err(GuestCallError::failure(error)),
                (None, None) => Err(GuestCallError::failure(
                    "No error message OR response set for call success",
                )),
            },
            Ok(_) => Err(GuestCallError::failure(
                state
                    .guest_error
                    .take()
                    .unwrap_or_else(|| "No error message set for call failure".to_owned()),
            )),
            Err(error) => Err(GuestCallError::from_wasmtime(&error)),
        };
        outcome.map_err(|error| call_error(&self.store, error))
    }
}

impl Drop for GuestInstance {
    fn drop(&mut self) {
        if self.forward_output {
            let text = self.store.data().output.contents();
            if !text.is_empty() {
                eprint!("{text}");
            }
        }
    }
}
