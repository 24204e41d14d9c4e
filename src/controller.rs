//! The controller: turns each KubernetesDaemonSet into the objects it expands to.

pub mod leader;
