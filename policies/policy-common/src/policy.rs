//! The shape every policy of this workspace has: settings, what it asks the host, and one
//! `evaluate` per request. [`export_policy!`](crate::export_policy) turns a [`Policy`] into the
//! waPC module kwctl and policy-server call (`docs/protocol.md` §1.1, §2).

use crate::exemptions::Exemptions;
use crate::report::{Report, reject};
use crate::request::{Request, decode};
use kubewarden_policy_sdk::settings::Validatable;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
pub use wapc_guest::CallResult;

/// One admission policy.
pub trait Policy {
    /// Deserialised with [`crate::settings::parse`], validated by `validate_settings`.
    type Settings: Default + DeserializeOwned + Validatable;

    /// What the policy asks the host (a trait object when it asks anything, `()` otherwise), so
    /// native tests pass a fake.
    type Host: ?Sized + 'static;

    /// The waPC host the wasm module asks.
    const HOST: &'static Self::Host;

    /// Whether the request is judged at all; the others are accepted before the exemptions are
    /// even read. CREATE and UPDATE of the object or of `pods/ephemeralcontainers`
    /// ([`Request::can_change_spec`]) unless the policy says otherwise.
    fn judges(request: &Request<'_>) -> bool {
        request.is_create_or_update() && request.can_change_spec()
    }

    /// The requests the settings exempt from every rule.
    fn exemptions(settings: &Self::Settings) -> Cow<'_, Exemptions>;

    /// Every rule that applies to a judged, non-exempt request.
    fn evaluate(request: &Request<'_>, settings: &Self::Settings, host: &Self::Host) -> Report;
}

/// The decision for one request: a request the API server never sends is denied whatever the
/// settings (fail closed, see [`Request::problem`]); nothing for an operation the
/// policy does not judge or an exempt request; otherwise [`Policy::evaluate`].
#[inline]
pub fn judge<P: Policy>(request: &Request<'_>, settings: &P::Settings, host: &P::Host) -> Report {
    if let Some(problem) = request.problem() {
        let mut report = Report::new();
        report.malformed(&problem, crate::Action::Deny);
        return report;
    }
    if !P::judges(request) || P::exemptions(settings).exempts(request).is_some() {
        return Report::new();
    }
    P::evaluate(request, settings, host)
}

/// The `validate` waPC operation: a request that does not decode is rejected with why.
pub fn validate<P: Policy>(payload: &[u8]) -> CallResult {
    let validation = match decode::<P::Settings>(payload) {
        Ok(v) => v,
        Err(e) => return reject(e),
    };
    judge::<P>(
        &Request::new(&validation.request),
        &validation.settings,
        P::HOST,
    )
    .respond()
}

/// Registers the three waPC operations of a policy module (`docs/protocol.md` §1.1).
pub fn register<P: Policy>() {
    wapc_guest::register_function("validate", validate::<P>);
    wapc_guest::register_function(
        "validate_settings",
        crate::settings::validate_settings::<P::Settings>,
    );
    wapc_guest::register_function(
        "protocol_version",
        kubewarden_policy_sdk::protocol_version_guest,
    );
}

/// Exports a [`Policy`] as the policy module: `wapc_init` and a native `validate`.
///
/// `wapc_init` is unmangled only on wasm32, so the policy crates, linked as rlibs, share one
/// native benchmark binary.
#[macro_export]
macro_rules! export_policy {
    ($policy:ty) => {
        #[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
        pub extern "C" fn wapc_init() {
            $crate::policy::register::<$policy>();
        }

        /// The `validate` waPC operation, callable natively (tests, benchmarks).
        pub fn validate(payload: &[u8]) -> $crate::policy::CallResult {
            $crate::policy::validate::<$policy>(payload)
        }
    };
}
