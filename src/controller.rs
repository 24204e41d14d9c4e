//! The controller: every KubernetesDaemonSet in the cluster becomes the objects the engine
//! expands it into, kept as declared, with its health in status.
//!
//! ```text
//! watch KubernetesDaemonSets ─┐
//! watch children (metadata,   ├─▶ reconcile ─▶ plan (pure: engine pipeline, scope, children)
//!   by ownership label)       │               ├─▶ ownership check, inventory, server-side apply
//! requeue every interval ─────┘               ├─▶ prune what the spec no longer produces
//!                                             └─▶ status (pure) ─▶ written only when it changed
//! ```
//!
//! Planning ([`plan`], [`children`], [`scope`], [`status`]) is pure and tested without a
//! client; [`reconcile`] is the IO around it; [`run`] wires watches, leader election, the admin
//! port and shutdown.

pub mod children;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod leader;
pub mod metrics;
pub mod plan;
pub mod reconcile;
pub mod run;
pub mod scope;
pub mod status;
