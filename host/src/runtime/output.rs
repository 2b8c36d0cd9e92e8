//! Guest output: WASI stdout and stderr, `__console_log` and `tracing/log` lines, all into one
//! in-memory buffer capped per evaluation. A guest never writes to the host's stdout (where
//! the AdmissionResponse goes) and cannot grow the host past [`CapturedOutput::LIMIT`].

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

#[derive(Debug, Default)]
struct Buffer {
    bytes: Vec<u8>,
    /// Bytes written past the limit, dropped.
    dropped: usize,
}

/// A bounded buffer shared by a guest's stdout, stderr and log lines. Writes always succeed
/// for the guest (so that logging never changes a verdict); what is past the limit is counted
/// and dropped, and [`CapturedOutput::contents`] ends with a note saying so.
#[derive(Debug, Clone, Default)]
pub struct CapturedOutput(Arc<Mutex<Buffer>>);

impl CapturedOutput {
    /// Bytes kept per evaluation.
    pub const LIMIT: usize = 64 * 1024;

    pub fn new() -> Self {
        Self::default()
    }

    fn buffer(&self) -> MutexGuard<'_, Buffer> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends as much of `bytes` as fits and counts the rest.
    pub fn write(&self, bytes: &[u8]) {
        let mut buffer = self.buffer();
        let room = Self::LIMIT.saturating_sub(buffer.bytes.len());
        let kept = bytes.len().min(room);
        buffer.bytes.extend_from_slice(&bytes[..kept]);
        buffer.dropped = buffer.dropped.saturating_add(bytes.len() - kept);
    }

    /// Appends one line (a newline is added).
    pub fn write_line(&self, line: &str) {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.write(&bytes);
    }

    /// Bytes dropped because the limit was reached.
    pub fn dropped(&self) -> usize {
        self.buffer().dropped
    }

    /// Everything kept (lossy UTF-8), then the truncation note when something was dropped.
    pub fn contents(&self) -> String {
        let buffer = self.buffer();
        let mut text = String::from_utf8_lossy(&buffer.bytes).into_owned();
        if buffer.dropped > 0 {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&truncation_note(buffer.dropped));
            text.push('\n');
        }
        text
    }
}

/// The line that ends a truncated guest output.
pub fn truncation_note(dropped: usize) -> String {
    format!(
        "[kwhost: guest output truncated: {dropped} more bytes dropped, the limit is {} bytes per evaluation]",
        CapturedOutput::LIMIT
    )
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        CapturedOutput::write(self, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        // Always ready: writes past the limit are accepted and dropped.
        Ok(64 * 1024)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        CapturedOutput::write(&self, buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_past_the_limit_is_dropped_and_noted() {
        let output = CapturedOutput::new();
        output.write_line("first");
        assert_eq!(output.contents(), "first\n");
        output.write(&vec![b'x'; CapturedOutput::LIMIT]);
        assert_eq!(output.dropped(), 6);
        let text = output.contents();
        assert!(text.len() < CapturedOutput::LIMIT + 200);
        assert!(
            text.ends_with(&format!("{}\n", truncation_note(6))),
            "{text}"
        );
    }
}
