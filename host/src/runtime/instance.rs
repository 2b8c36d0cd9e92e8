//! Loading policies (`PolicyModule`, one `InstancePre` each) and running guest calls
//! in fresh, resource-capped instances (`GuestInstance`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kwhost_artifact::METADATA_SECTION;
use wasmtime::{
    Engine, ExternType, InstancePre, Linker, Module, Store, StoreLimitsBuilder, Trap, TypedFunc,
    ValType,
};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use super::cache::ModuleCache;
use super::engine::deadline_ticks;
use super::wapc::{self, HostCallback, StoreData, WapcState};

/// The literal text wasmtime-provider stores as guest error when the epoch deadline is hit.
pub const DEADLINE_EXCEEDED: &str = "guest code interrupted, execution deadline exceeded";

/// Per-instance resource caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutionLimits {
    /// Epoch deadline for `_start`, `wapc_init` and each guest call (policy-server: 2 s).
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

/// Where a guest's WASI stdout and stderr go.
#[derive(Clone, Default)]
pub enum GuestStdio {
    /// The host's own stdio, as kwctl (`println!` in a policy reaches the terminal).
    #[default]
    Inherit,
    /// Both streams into one in-memory buffer (suites scan and show it).
    Capture(CapturedOutput),
}

/// A bounded in-memory stdout/stderr shared with the guest.
#[derive(Clone)]
pub struct CapturedOutput(MemoryOutputPipe);

impl CapturedOutput {
    /// Writes past this many bytes fail inside the guest instead of growing the host.
    const CAPACITY: usize = 1024 * 1024;

    pub fn new() -> Self {
        Self(MemoryOutputPipe::new(Self::CAPACITY))
    }

    /// Everything written so far (lossy UTF-8).
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.contents()).into_owned()
    }
}

impl Default for CapturedOutput {
    fn default() -> Self {
        Self::new()
    }
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
}

impl GuestCallError {
    fn failure(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            interrupted: false,
        }
    }

    fn interrupted() -> Self {
        Self {
            message: DEADLINE_EXCEEDED.to_owned(),
            interrupted: true,
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
        let engine =
            super::engine::new_engine().map_err(|reason| RuntimeError::Engine { reason })?;
        let mut linker = Linker::new(&engine);
        let linker_error = |reason| RuntimeError::Linker { reason };
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |data: &mut StoreData| &mut data.wasi)
            .map_err(linker_error)?;
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
    pub fn load_module_bytes(&self, path: &Path, bytes: &[u8]) -> Result<PolicyModule, LoadError> {
        let path = path.to_path_buf();
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
    deadline: u64,
}

impl GuestInstance {
    fn new(
        module: &PolicyModule,
        limits: ExecutionLimits,
        stdio: &GuestStdio,
        callback: Arc<dyn HostCallback>,
    ) -> Result<Self, GuestCallError> {
        let engine = module.pre.module().engine();
        // kwctl's WasiParams::default(): stdio inherited, no args, env or preopens.
        let mut wasi = WasiCtxBuilder::new();
        match stdio {
            GuestStdio::Inherit => wasi.inherit_stdio(),
            GuestStdio::Capture(output) => wasi.stdout(output.0.clone()).stderr(output.0.clone()),
        };
        let data = StoreData {
            wasi: wasi.build_p1(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .build(),
            wapc: WapcState::default(),
            callback,
        };
        let mut store = Store::new(engine, data);
        store.limiter(|data| &mut data.limits);
        store.epoch_deadline_trap();
        let deadline = deadline_ticks(limits.timeout);
        store.set_epoch_deadline(deadline);
        let instance = module
            .pre
            .instantiate(&mut store)
            .map_err(|e| GuestCallError::from_wasmtime(&e))?;
        // REQUIRED_STARTS = ["_start", "wapc_init"], each optional.
        for start in ["_start", "wapc_init"] {
            let Ok(func) = instance.get_typed_func::<(), ()>(&mut store, start) else {
                continue;
            };
            store.set_epoch_deadline(deadline);
            if let Err(error) = func.call(&mut store, ()) {
                let clean_exit = error
                    .downcast_ref::<wasmtime_wasi::I32Exit>()
                    .or_else(|| error.root_cause().downcast_ref::<wasmtime_wasi::I32Exit>())
                    .is_some_and(|exit| exit.0 == 0);
                if !clean_exit {
                    return Err(GuestCallError::from_wasmtime(&error));
                }
            }
        }
        let guest_call = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "__guest_call")
            .map_err(|e| GuestCallError::failure(e.to_string()))?;
        Ok(Self {
            store,
            guest_call,
            deadline,
        })
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
        self.store.set_epoch_deadline(self.deadline);
        let result = self.guest_call.call(&mut self.store, (op_len, payload_len));
        let state = &mut self.store.data_mut().wapc;
        match result {
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
        }
    }
}
