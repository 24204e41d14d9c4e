//! Policy gates through the public interface: loading, every gate in every mode, scope, and
//! the shipped example policies against realistic objects.

#[path = "policy/common.rs"]
mod common;
#[path = "policy/config.rs"]
mod config;
#[path = "policy/examples.rs"]
mod examples;
#[path = "policy/gates.rs"]
mod gates;
#[path = "policy/scope.rs"]
mod scope;
