//! kwctl record/replay sessions (docs/protocol.md §3.8): FIFO, exact equality.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;

use super::backend::{BackendResult, CapabilityBackend};
use super::requests::CallbackRequest;

#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum RecordedResponse {
    Success { payload: String },
    Error { message: String },
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum RecordedEntry {
    Exchange {
        /// serde_yaml of `CallbackRequestType`, itself a YAML string.
        request: String,
        response: RecordedResponse,
    },
}

#[derive(Debug)]
struct Exchange {
    request: CallbackRequest,
    response: RecordedResponse,
}

/// Why a replay session cannot be used; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read replay session {path}: {reason}")]
    Read {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("invalid replay session {origin}: {reason}")]
    Entries {
        origin: String,
        reason: serde_yaml::Error,
    },
    #[error("invalid replay session {origin}: exchange #{number}: request: {reason}")]
    Request {
        origin: String,
        number: usize,
        reason: serde_yaml::Error,
    },
}

/// Answers host calls from a recorded session, popping exchanges in order.
#[derive(Debug)]
pub struct ReplayBackend {
    exchanges: Mutex<VecDeque<Exchange>>,
}

impl ReplayBackend {
    pub fn from_file(path: &Path) -> Result<Self, ReplayError> {
        let text = std::fs::read_to_string(path).map_err(|reason| ReplayError::Read {
            path: path.to_path_buf(),
            reason,
        })?;
        Self::from_yaml_in(&text, &path.display().to_string())
    }

    /// Parses a session; `origin` names it in errors.
    pub fn from_yaml_in(text: &str, origin: &str) -> Result<Self, ReplayError> {
        let entries: Vec<RecordedEntry> =
            serde_yaml::from_str(text).map_err(|reason| ReplayError::Entries {
                origin: origin.to_owned(),
                reason,
            })?;
        let exchanges = entries
            .into_iter()
            .enumerate()
            .map(|(index, RecordedEntry::Exchange { request, response })| {
                let request =
                    serde_yaml::from_str(&request).map_err(|reason| ReplayError::Request {
                        origin: origin.to_owned(),
                        number: index + 1,
                        reason,
                    })?;
                Ok(Exchange { request, response })
            })
            .collect::<Result<_, ReplayError>>()?;
        Ok(Self {
            exchanges: Mutex::new(exchanges),
        })
    }

    /// Exchanges not consumed yet (kwctl only warns about them).
    pub fn remaining(&self) -> usize {
        self.exchanges.lock().map_or(0, |q| q.len())
    }
}

impl CapabilityBackend for ReplayBackend {
    fn answer(&self, request: &CallbackRequest) -> BackendResult {
        let next = self
            .exchanges
            .lock()
            .map_err(|_| "replay session lock poisoned".to_owned())?
            .pop_front();
        let Some(exchange) = next else {
            return Err("the list of recorded responses is empty".to_owned());
        };
        if exchange.request != *request {
            return Err(format!(
                "Replay error: unexpected request. Was expecting {:?}, got {:?} instead",
                exchange.request, request
            ));
        }
        match exchange.response {
            RecordedResponse::Success { payload } => Ok(payload.into_bytes()),
            RecordedResponse::Error { message } => Err(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = r#"
- type: Exchange
  request: |
    !DNSLookupHost
    host: example.com
  response:
    type: Success
    payload: '{"ips":["93.184.216.34"]}'
- type: Exchange
  request: |
    !OciManifestDigest
    image: nginx:1.25
  response:
    type: Error
    message: manifest unknown
"#;

    fn dns(host: &str) -> CallbackRequest {
        CallbackRequest::DnsLookupHost { host: host.into() }
    }

    #[test]
    fn fifo_then_exhausted() {
        let replay = ReplayBackend::from_yaml_in(SESSION, "session.yml").unwrap();
        assert_eq!(
            replay.answer(&dns("example.com")).unwrap(),
            br#"{"ips":["93.184.216.34"]}"#
        );
        let digest = CallbackRequest::OciManifestDigest {
            image: "nginx:1.25".into(),
        };
        assert_eq!(replay.answer(&digest).unwrap_err(), "manifest unknown");
        assert_eq!(
            replay.answer(&digest).unwrap_err(),
            "the list of recorded responses is empty"
        );
    }

    #[test]
    fn mismatch_consumes_the_exchange() {
        let replay = ReplayBackend::from_yaml_in(SESSION, "session.yml").unwrap();
        let error = replay.answer(&dns("other.org")).unwrap_err();
        assert!(
            error.starts_with("Replay error: unexpected request. Was expecting DnsLookupHost"),
            "{error}"
        );
        assert!(error.ends_with("instead"), "{error}");
        assert_eq!(replay.remaining(), 1);
    }
}
