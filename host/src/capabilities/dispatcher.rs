//! The policy-server's `host_callback` (docs/protocol.md §1.5): binding, allow-lists and
//! error wrapping, in front of a [`CapabilityBackend`].

use std::sync::Arc;

use super::allow_list::AllowList;
use super::backend::CapabilityBackend;
use super::requests;
use crate::runtime::{CapturedOutput, HostCallResult, HostCallback};
use kwhost_artifact::ContextAwareResource;

/// The policy-server's `host_callback` for one evaluation.
pub struct Dispatcher {
    allowed_capabilities: AllowList,
    /// Granted Kubernetes resources: the metadata's list with `--allow-context-aware`,
    /// empty otherwise.
    granted_resources: Vec<ContextAwareResource>,
    backend: Arc<dyn CapabilityBackend>,
    /// `tracing/log` lines go here (capped with the guest's stdout and stderr); without it
    /// they are dropped, never printed unbounded.
    log_capture: Option<CapturedLog>,
}

/// Guest log lines collected during one evaluation: the evaluation's capped guest output.
pub type CapturedLog = CapturedOutput;

impl Dispatcher {
    pub fn new(
        allowed_capabilities: AllowList,
        granted_resources: Vec<ContextAwareResource>,
        backend: Arc<dyn CapabilityBackend>,
    ) -> Self {
        Self {
            allowed_capabilities,
            granted_resources,
            backend,
            log_capture: None,
        }
    }

    /// Collects `tracing/log` lines into `capture`.
    pub fn with_log_capture(mut self, capture: CapturedLog) -> Self {
        self.log_capture = Some(capture);
        self
    }

    fn is_granted(&self, api_version: &str, kind: &str) -> bool {
        self.granted_resources
            .iter()
            .any(|r| r.api_version == api_version && r.kind == kind)
    }
}

impl HostCallback for Dispatcher {
    fn host_call(
        &self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> HostCallResult {
        if binding != "kubewarden" {
            return Err(format!("unknown binding: {binding}"));
        }
        if namespace == "tracing" {
            return match operation {
                "log" => {
                    let line = format_guest_event(payload)?;
                    if let Some(capture) = &self.log_capture {
                        capture.write_line(&line);
                    }
                    Ok(Vec::new())
                }
                _ => Err(format!("unknown operation: {operation}")),
            };
        }
        let capability = format!("{namespace}/{operation}");
        if !self.allowed_capabilities.allows(&capability) {
            return Err(format!(
                "Policy has not been granted access to the '{capability}' host capability. The violation has been reported."
            ));
        }
        let request = requests::parse(namespace, operation, payload).map_err(|e| e.to_string())?;
        if let Some((api_version, kind)) = request.kubernetes_resource()
            && !self.is_granted(api_version, kind)
        {
            return Err(format!(
                "Policy has not been granted access to Kubernetes {api_version}/{kind} resources. The violation has been reported."
            ));
        }
        self.backend
            .answer(&request)
            .map_err(|e| format!("Callback evaluation failure: {e}"))
    }
}

/// `tracing/log` (docs/protocol.md §3.7): one line `policy_log <LEVEL>: <message> {fields}`.
fn format_guest_event(payload: &[u8]) -> HostCallResult<String> {
    let mut event: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let level = event
        .remove("level")
        .and_then(|l| l.as_str().map(str::to_ascii_uppercase))
        .unwrap_or_else(|| "INFO".into());
    let level = match level.as_str() {
        "TRACE" | "DEBUG" | "INFO" | "WARNING" | "ERROR" => level,
        "WARN" => "WARNING".into(),
        other => return Err(format!("unknown log level: {other}")),
    };
    let message = event
        .remove("message")
        .and_then(|m| m.as_str().map(str::to_owned))
        .unwrap_or_default();
    for location in ["file", "line", "column"] {
        event.remove(location);
    }
    Ok(if event.is_empty() {
        format!("policy_log {level}: {message}")
    } else {
        format!(
            "policy_log {level}: {message} {}",
            serde_json::Value::Object(event)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::CallbackRequest;

    struct Echo;
    impl CapabilityBackend for Echo {
        fn answer(&self, _request: &CallbackRequest) -> crate::capabilities::BackendResult {
            Err("boom".into())
        }
    }

    fn dispatcher(patterns: &[&str], granted: Vec<ContextAwareResource>) -> Dispatcher {
        Dispatcher::new(AllowList::parse(patterns).unwrap(), granted, Arc::new(Echo))
    }

    const GET_NS: &[u8] =
        br#"{"api_version":"v1","kind":"Namespace","name":"x","namespace":null,"disable_cache":false}"#;

    #[test]
    fn binding_and_unknown_names() {
        let d = dispatcher(&["*"], vec![]);
        assert_eq!(
            d.host_call("other", "oci", "x", b"").unwrap_err(),
            "unknown binding: other"
        );
        assert_eq!(
            d.host_call("kubewarden", "foo", "x", b"").unwrap_err(),
            "unknown namespace: foo"
        );
        assert_eq!(
            d.host_call("kubewarden", "net", "v2/x", b"").unwrap_err(),
            "unknown operation: v2/x"
        );
        assert_eq!(
            d.host_call("kubewarden", "tracing", "trace", b"")
                .unwrap_err(),
            "unknown operation: trace"
        );
    }

    #[test]
    fn capability_allow_list() {
        let d = dispatcher(&["oci/*"], vec![]);
        assert_eq!(
            d.host_call("kubewarden", "kubernetes", "can_i", b"{}")
                .unwrap_err(),
            "Policy has not been granted access to the 'kubernetes/can_i' host capability. The violation has been reported."
        );
        assert_eq!(
            d.host_call("kubewarden", "oci", "v1/manifest_digest", br#""nginx""#)
                .unwrap_err(),
            "Callback evaluation failure: boom"
        );
        // tracing/log is never gated.
        let log = br#"{"level":"info","message":"hello","line":1,"column":2,"file":"a.rs"}"#;
        assert_eq!(
            d.host_call("kubewarden", "tracing", "log", log).unwrap(),
            b""
        );
    }

    #[test]
    fn context_aware_allow_list() {
        let d = dispatcher(&["*"], vec![]);
        assert_eq!(
            d.host_call("kubewarden", "kubernetes", "get_resource", GET_NS)
                .unwrap_err(),
            "Policy has not been granted access to Kubernetes v1/Namespace resources. The violation has been reported."
        );
        let granted = vec![ContextAwareResource {
            api_version: "v1".into(),
            kind: "Namespace".into(),
        }];
        let d = dispatcher(&["*"], granted);
        assert_eq!(
            d.host_call("kubewarden", "kubernetes", "get_resource", GET_NS)
                .unwrap_err(),
            "Callback evaluation failure: boom"
        );
    }

    #[test]
    fn payload_errors_are_not_wrapped() {
        let d = dispatcher(&["*"], vec![]);
        let error = d
            .host_call("kubewarden", "net", "v1/dns_lookup_host", b"42")
            .unwrap_err();
        assert!(error.starts_with("invalid type: integer `42`"), "{error}");
    }
}
