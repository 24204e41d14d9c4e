//! install (being built).
