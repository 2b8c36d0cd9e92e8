//! kwctl record/replay sessions (docs/protocol.md §3.8): replayed FIFO with exact equality
//! ([`ReplayBackend`]), and recorded ([`RecordingBackend`]) in the same format.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::backend::{BackendResult, CapabilityBackend};
use super::requests::CallbackRequest;

#[derive(Debug, Deserialize, Serialize)]
#[serde(tag = "type")]
enum RecordedResponse {
    Success { payload: String },
    Error { message: String },
}

#[derive(Debug, Deserialize, Serialize)]
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

/// Answers from another backend and keeps every exchange, to be written as a kwctl session
/// (`kwhost run --record-host-capabilities-interactions`) that `--replay-...` (kwhost's or
/// kwctl's) answers the same way. The session holds the answers verbatim, as kwctl's does:
/// it is as sensitive as the world or registry it recorded.
pub struct RecordingBackend {
    inner: Arc<dyn CapabilityBackend>,
    exchanges: Mutex<Vec<(CallbackRequest, BackendResult)>>,
}

impl RecordingBackend {
    pub fn new(inner: Arc<dyn CapabilityBackend>) -> Self {
        Self {
            inner,
            exchanges: Mutex::new(Vec::new()),
        }
    }

    /// The exchanges so far, as a kwctl session (a YAML sequence of `type: Exchange`).
    pub fn session_yaml(&self) -> Result<String, serde_yaml::Error> {
        let exchanges = self.exchanges().clone();
        let entries = exchanges
            .into_iter()
            .map(|(request, answer)| {
                Ok(RecordedEntry::Exchange {
                    request: serde_yaml::to_string(&request)?,
                    response: match answer {
                        Ok(payload) => RecordedResponse::Success {
                            payload: String::from_utf8_lossy(&payload).into_owned(),
                        },
                        Err(message) => RecordedResponse::Error { message },
                    },
                })
            })
            .collect::<Result<Vec<_>, serde_yaml::Error>>()?;
        serde_yaml::to_string(&entries)
    }

    /// The calls answered with an error so far, and the error.
    pub fn errors(&self) -> Vec<(CallbackRequest, String)> {
        self.exchanges()
            .iter()
            .filter_map(|(r, a)| a.as_ref().err().map(|m| (r.clone(), m.clone())))
            .collect()
    }

    /// The exchanges so far; a panic elsewhere while holding the lock loses none of them.
    fn exchanges(&self) -> std::sync::MutexGuard<'_, Vec<(CallbackRequest, BackendResult)>> {
        self.exchanges
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl CapabilityBackend for RecordingBackend {
    fn answer(&self, request: &CallbackRequest) -> BackendResult {
        let answer = self.inner.answer(request);
        self.exchanges().push((request.clone(), answer.clone()));
        answer
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
    fn a_recording_replays_the_same_answers() {
        let original = Arc::new(ReplayBackend::from_yaml_in(SESSION, "session.yml").unwrap());
        let recorder = RecordingBackend::new(original);
        let digest = CallbackRequest::OciManifestDigest {
            image: "nginx:1.25".into(),
        };
        let first = (
            recorder.answer(&dns("example.com")),
            recorder.answer(&digest),
        );
        let session = recorder.session_yaml().unwrap();
        assert!(session.contains("!DNSLookupHost"), "{session}");
        let replay = ReplayBackend::from_yaml_in(&session, "recorded").unwrap();
        assert_eq!(
            (replay.answer(&dns("example.com")), replay.answer(&digest)),
            first
        );
        assert_eq!(replay.remaining(), 0);
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
