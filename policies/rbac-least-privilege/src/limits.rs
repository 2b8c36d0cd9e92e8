//! The size and shape every list of the settings must keep.

pub use policy_common::settings::{MAX_ENTRIES, capped, names};
