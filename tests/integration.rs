//! The integration tests, as one test binary: each `tests/*.rs` beside this file is a module
//! here, not a binary of its own. Linked once instead of ~30 times, the tests build in less
//! time and a fraction of the disk (each binary carried the whole crate and its dependencies).
//! `tests/limits.rs` stays a binary of its own: it measures this process's memory and open
//! files, which tests running beside it would disturb.
//!
//! One group: `cargo test --test integration cli_verdict::`; one test: add its name.

mod access;
mod access_http;
mod access_startup;
mod admission;
mod admission_policy;
mod allocator;
mod chart;
mod cli;
mod cli_diff;
mod cli_formats;
mod cli_inputs;
mod cli_support;
mod cli_verdict;
mod cli_wires;
mod common;
#[path = "controller/main.rs"]
mod controller;
mod drift_guard;
mod expansion;
mod install;
mod large_body;
mod leader_election;
mod log_format;
// The SubjectAccessReview mocks of the access tests, shared with `benches/access.rs`.
#[path = "access/loopback.rs"]
mod loopback;
#[path = "access/mock.rs"]
mod mock;
mod policy;
mod policy_examples;
mod properties;
mod rollout_warning;
mod secrets;
mod shutdown;
mod tls;
