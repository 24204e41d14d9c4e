//! certs (being built).
