//! Expansion into Kubernetes objects (being built).
