//! The pure half of leader election: from what this replica last saw of the Lease, when it
//! saw it change, and the time now, decide whether to create, take, renew or leave the Lease.
//!
//! This is client-go's `tryAcquireOrRenew` without the IO. Expiry is judged by the **local**
//! monotonic time at which this replica last saw the record change, plus the record's
//! `leaseDurationSeconds`; the `renewTime` written by another node is never compared with
//! this node's clock, so clock skew between nodes cannot make a live lease look expired.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use tokio::time::Instant;

/// The Lease record as this replica last saw it, and the local time it first saw that record.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Observation {
    /// The Lease's spec as read (or as returned by the server after our own write).
    pub(crate) spec: LeaseSpec,
    /// Local monotonic time at which this replica first saw `spec` in this form.
    pub(crate) seen_at: Instant,
}

impl Observation {
    /// Folds a freshly read record into the previous observation: the observation time moves
    /// only when the record changed, because an unchanged record is a holder that stopped
    /// renewing, and its lease runs out `leaseDurationSeconds` after we first saw it so.
    pub(crate) fn update(previous: Option<Self>, spec: LeaseSpec, now: Instant) -> Self {
        match previous {
            Some(prev) if prev.spec == spec => prev,
            _ => Self { spec, seen_at: now },
        }
    }
}

/// What to do about the Lease.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action {
    /// No Lease exists: create it with this spec (`POST`; 409 AlreadyExists means we lost).
    Create(LeaseSpec),
    /// Free, released or expired, held by someone else: take it over (`PUT` with the read
    /// resourceVersion; 409 Conflict means we lost).
    Acquire(LeaseSpec),
    /// Held by this replica: renew it (`PUT` with the read resourceVersion).
    Renew(LeaseSpec),
    /// Held by another replica whose lease has not run out: wait.
    Follow {
        /// The current holder.
        holder: String,
        /// How long until the lease runs out if the holder does not renew it.
        expires_in: Duration,
    },
}

/// The inputs that do not change between attempts.
#[derive(Clone, Debug)]
pub(crate) struct Candidate<'a> {
    /// This replica's identity, written as `holderIdentity`.
    pub(crate) identity: &'a str,
    /// The lease duration this replica writes, and assumes for a record that has none.
    pub(crate) lease_duration: Duration,
}

/// Decides the next step from the observed Lease (`None`: it does not exist).
///
/// `now` is the local monotonic time used for expiry; `wall` is the wall-clock time written
/// into `acquireTime`/`renewTime` (informational for other readers, never used for expiry).
pub(crate) fn decide(
    observed: Option<&Observation>,
    candidate: &Candidate<'_>,
    now: Instant,
    wall: Timestamp,
) -> Action {
    let stamp = micro_time(wall);
    let Some(observed) = observed else {
        return Action::Create(LeaseSpec {
            holder_identity: Some(candidate.identity.to_owned()),
            lease_duration_seconds: Some(seconds(candidate.lease_duration)),
            acquire_time: Some(stamp.clone()),
            renew_time: Some(stamp),
            lease_transitions: Some(0),
            ..LeaseSpec::default()
        });
    };
    let current = &observed.spec;
    let transitions = current.lease_transitions.unwrap_or(0);
    match holder(current) {
        Some(holder) if holder == candidate.identity => Action::Renew(LeaseSpec {
            holder_identity: Some(holder.to_owned()),
            lease_duration_seconds: Some(seconds(candidate.lease_duration)),
            acquire_time: current.acquire_time.clone().or_else(|| Some(stamp.clone())),
            renew_time: Some(stamp),
            lease_transitions: Some(transitions),
            ..current.clone()
        }),
        Some(holder) if now < expiry(observed, candidate.lease_duration) => Action::Follow {
            holder: holder.to_owned(),
            expires_in: expiry(observed, candidate.lease_duration) - now,
        },
        _ => Action::Acquire(LeaseSpec {
            holder_identity: Some(candidate.identity.to_owned()),
            lease_duration_seconds: Some(seconds(candidate.lease_duration)),
            acquire_time: Some(stamp.clone()),
            renew_time: Some(stamp),
            lease_transitions: Some(transitions.saturating_add(1)),
            ..current.clone()
        }),
    }
}

/// The spec that releases a Lease this replica holds: no holder, so the next candidate takes
/// it at its next attempt instead of waiting out the duration. The duration becomes 1 s (the
/// server refuses 0: `spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0`).
pub(crate) fn released(current: &LeaseSpec, wall: Timestamp) -> LeaseSpec {
    let stamp = micro_time(wall);
    LeaseSpec {
        holder_identity: None,
        lease_duration_seconds: Some(1),
        acquire_time: Some(stamp.clone()),
        renew_time: Some(stamp),
        lease_transitions: current.lease_transitions,
        ..current.clone()
    }
}

/// The holder named by a record; an empty identity (client-go's release) is no holder.
pub(crate) fn holder(spec: &LeaseSpec) -> Option<&str> {
    spec.holder_identity.as_deref().filter(|h| !h.is_empty())
}

/// When the observed record runs out by this replica's clock.
///
/// A record without a positive `leaseDurationSeconds` is given this replica's own duration.
/// client-go reads it as 0 and takes over at once, which would start a second leader beside a
/// holder that merely omitted the field while still renewing.
fn expiry(observed: &Observation, fallback: Duration) -> Instant {
    let duration = observed
        .spec
        .lease_duration_seconds
        .and_then(|s| u64::try_from(s).ok())
        .filter(|&s| s > 0)
        .map_or(fallback, Duration::from_secs);
    observed.seen_at + duration
}

/// Whole seconds for `leaseDurationSeconds`, at least 1 (the server refuses 0).
fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX).max(1)
}

/// A MicroTime truncated to whole microseconds, so what is sent is exactly what the server
/// stores and returns (it keeps six fractional digits), and a re-read compares equal.
fn micro_time(wall: Timestamp) -> MicroTime {
    let micros = wall.as_microsecond();
    MicroTime(Timestamp::from_microsecond(micros).unwrap_or(wall))
}

#[cfg(test)]
mod tests;
