//! Model layer: the JSON documents exchanged with kwctl users and guests, and test suites.

pub mod admission_request;
pub mod admission_response;
pub mod document;
mod expectations;
pub mod junit;
pub mod runner;
pub mod settings;
pub mod suite;
