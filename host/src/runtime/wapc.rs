//! The nine `wapc` host imports (docs/protocol.md §1.2) and the per-store waPC state.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::{Caller, Extern, Linker, Memory};
use wasmtime_wasi::p1::WasiP1Ctx;

use super::limits::GuestLimiter;
use super::output::CapturedOutput;

/// The answer to one `__host_call`, or a step towards it. `Err` is deliberately a plain
/// string, not a typed error: it is exactly the text the guest reads back through
/// `__host_error` (docs/protocol.md §1.5), byte for byte, and suites match it.
pub type HostCallResult<T = Vec<u8>> = Result<T, String>;

/// Answers `__host_call`: `(binding, namespace, operation, payload) -> response | error`.
pub trait HostCallback: Send + Sync {
    fn host_call(
        &self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> HostCallResult;
}

/// Buffers exchanged with the guest during one `__guest_call` (wapc `ModuleState`).
#[derive(Debug, Default)]
pub struct WapcState {
    pub operation: String,
    pub payload: Vec<u8>,
    pub guest_response: Option<Vec<u8>>,
    pub guest_error: Option<String>,
    pub host_response: Option<Vec<u8>>,
    pub host_error: Option<String>,
}

impl WapcState {
    /// Step 1 of docs/protocol.md §1.3: store the invocation and clear every buffer.
    pub fn begin_invocation(&mut self, operation: &str, payload: &[u8]) {
        *self = Self {
            operation: operation.to_owned(),
            payload: payload.to_vec(),
            ..Self::default()
        };
    }
}

/// Everything a guest's `Store` owns.
pub struct StoreData {
    pub wasi: WasiP1Ctx,
    pub limiter: GuestLimiter,
    pub wapc: WapcState,
    pub callback: Arc<dyn HostCallback>,
    /// Stdout, stderr and `__console_log` lines of the guest, capped.
    pub output: CapturedOutput,
    /// Time zero of the guest's monotonic clock.
    pub clock_origin: Instant,
    /// When the current guest call must end: blocking WASI calls end here too.
    pub call_deadline: Instant,
}

type WapcCaller<'a> = Caller<'a, StoreData>;

fn guest_memory(caller: &mut WapcCaller<'_>) -> wasmtime::Result<Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => Err(wasmtime::format_err!(
            "the guest does not export a memory named `memory`"
        )),
    }
}

fn read_bytes(caller: &mut WapcCaller<'_>, ptr: i32, len: i32) -> wasmtime::Result<Vec<u8>> {
    let memory = guest_memory(caller)?;
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    memory
        .data(&caller)
        .get(start..start.saturating_add(len))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| wasmtime::format_err!("guest pointer {start}+{len} is outside its memory"))
}

fn read_string(caller: &mut WapcCaller<'_>, ptr: i32, len: i32) -> wasmtime::Result<String> {
    String::from_utf8(read_bytes(caller, ptr, len)?)
        .map_err(|e| wasmtime::format_err!("guest string is not UTF-8: {e}"))
}

fn write_bytes(caller: &mut WapcCaller<'_>, ptr: i32, bytes: &[u8]) -> wasmtime::Result<()> {
    let memory = guest_memory(caller)?;
    memory
        .write(caller, ptr as u32 as usize, bytes)
        .map_err(|_| wasmtime::format_err!("guest pointer {ptr} cannot hold {} bytes", bytes.len()))
}

fn len_i32(bytes: Option<&[u8]>) -> i32 {
    bytes.map_or(0, |b| i32::try_from(b.len()).unwrap_or(i32::MAX))
}

/// Registers the `wapc` module exactly as wasmtime-provider's `callbacks.rs` does.
pub fn add_to_linker(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    const NS: &str = "wapc";
    linker.func_wrap(
        NS,
        "__guest_request",
        |mut caller: WapcCaller<'_>, op_ptr: i32, ptr: i32| {
            let payload = std::mem::take(&mut caller.data_mut().wapc.payload);
            let operation = caller.data().wapc.operation.clone();
            let written = write_bytes(&mut caller, ptr, &payload)
                .and_then(|()| write_bytes(&mut caller, op_ptr, operation.as_bytes()));
            caller.data_mut().wapc.payload = payload;
            written
        },
    )?;
    linker.func_wrap(
        NS,
        "__guest_response",
        |mut caller: WapcCaller<'_>, ptr: i32, len: i32| {
            let bytes = read_bytes(&mut caller, ptr, len)?;
            caller.data_mut().wapc.guest_response = Some(bytes);
            Ok(())
        },
    )?;
    linker.func_wrap(
        NS,
        "__guest_error",
        |mut caller: WapcCaller<'_>, ptr: i32, len: i32| {
            let message = read_string(&mut caller, ptr, len)?;
            caller.data_mut().wapc.guest_error = Some(message);
            Ok(())
        },
    )?;
    linker.func_wrap(
        NS,
        "__host_call",
        |mut caller: WapcCaller<'_>,
         bd_ptr: i32,
         bd_len: i32,
         ns_ptr: i32,
         ns_len: i32,
         op_ptr: i32,
         op_len: i32,
         ptr: i32,
         len: i32|
         -> wasmtime::Result<i32> {
            let binding = read_string(&mut caller, bd_ptr, bd_len)?;
            let namespace = read_string(&mut caller, ns_ptr, ns_len)?;
            let operation = read_string(&mut caller, op_ptr, op_len)?;
            let payload = read_bytes(&mut caller, ptr, len)?;
            let state = &mut caller.data_mut().wapc;
            state.host_response = None;
            state.host_error = None;
            let callback = Arc::clone(&caller.data().callback);
            let outcome = callback.host_call(&binding, &namespace, &operation, &payload);
            let state = &mut caller.data_mut().wapc;
            Ok(match outcome {
                Ok(response) => {
                    state.host_response = Some(response);
                    1
                }
                Err(error) => {
                    state.host_error = Some(error);
                    0
                }
            })
        },
    )?;
    linker.func_wrap(NS, "__host_response_len", |caller: WapcCaller<'_>| {
        len_i32(caller.data().wapc.host_response.as_deref())
    })?;
    linker.func_wrap(
        NS,
        "__host_response",
        |mut caller: WapcCaller<'_>, ptr: i32| {
            let response = caller.data().wapc.host_response.clone();
            match response {
                Some(bytes) => write_bytes(&mut caller, ptr, &bytes),
                None => Ok(()),
            }
        },
    )?;
    linker.func_wrap(NS, "__host_error_len", |caller: WapcCaller<'_>| {
        len_i32(caller.data().wapc.host_error.as_deref().map(str::as_bytes))
    })?;
    linker.func_wrap(
        NS,
        "__host_error",
        |mut caller: WapcCaller<'_>, ptr: i32| {
            let error = caller.data().wapc.host_error.clone();
            match error {
                Some(message) => write_bytes(&mut caller, ptr, message.as_bytes()),
                None => Ok(()),
            }
        },
    )?;
    linker.func_wrap(
        NS,
        "__console_log",
        |mut caller: WapcCaller<'_>, ptr: i32, len: i32| {
            let message = read_string(&mut caller, ptr, len)?;
            caller
                .data()
                .output
                .write_line(&format!("Guest module: {message}"));
            Ok(())
        },
    )?;
    Ok(())
}
