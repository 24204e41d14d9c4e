//! A short-lived memory of access review answers, keyed by user and permission.
//!
//! `kubectl apply` of one object sends the same review twice (mutating dry runs, retries,
//! UPDATEs that follow a CREATE), and a tenant's rule list asks the same few permissions
//! again on every write. Answers are kept for a few seconds: long enough to absorb those
//! repeats, short enough that a revoked right stops working almost at once (the API server's
//! own webhook authorizer keeps denials 30 s and approvals 5 min). Bounded: when full, expired
//! answers are dropped, and if none had expired, all of them.
//!
//! Hand-written (a mutex around a `HashMap`, about forty lines) rather than a cache crate:
//! entries are few and tiny, there is one expiry rule, and moka-style crates bring a large
//! dependency tree for features (size-aware eviction, async loaders) this does not need.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Permission;
use super::review::UserInfo;

/// Most answers kept at once.
pub const MAX_ENTRIES: usize = 4096;

/// Answers by (user, permission), each until its expiry.
#[derive(Debug)]
pub struct Cache {
    ttl: Duration,
    entries: Mutex<HashMap<(UserInfo, Permission), (Instant, bool)>>,
}

impl Cache {
    /// A cache keeping answers for `ttl`; zero keeps none.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The answer for `user` and `p`, if one is fresh.
    pub fn get(&self, user: &UserInfo, p: &Permission, now: Instant) -> Option<bool> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // One lookup key per call; cloning it is cheap next to a review round trip.
        let key = (user.clone(), p.clone());
        entries
            .get(&key)
            .and_then(|&(until, allowed)| (now < until).then_some(allowed))
    }

    /// Remembers an answer.
    pub fn put(&self, user: &UserInfo, p: &Permission, allowed: bool, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (until, _)| now < *until);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert((user.clone(), p.clone()), (now + self.ttl, allowed));
    }

    /// How many answers are held (fresh or not).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no answer is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
