//! Leader election on a `coordination.k8s.io/v1` Lease, so that of any number of controller
//! replicas exactly one reconciles.
//!
//! client-go's algorithm, with optimistic concurrency on `resourceVersion`:
//!
//! ```text
//! every retry_period:   GET the Lease ──404──▶ POST (409 AlreadyExists: lost the race)
//!                           │
//!            decide (pure): ours → PUT renew · free/expired → PUT take over (409: lost)
//!                           · another's, not expired → follow
//! leading:              renew from the last write (no GET); a leader that has not renewed
//!                       for renew_deadline steps down at once, before its lease can expire
//!                       for the others (renew_deadline < lease_duration)
//! shutdown:             stop leading, then release (holder cleared) so the next takes over
//! ```
//!
//! Written here rather than taken from a crate: kube-runtime 5 has no elector, and
//! kube-lease-manager 0.13 keeps reporting leadership while it cannot renew, so a replica cut off
//! from the API server would keep reconciling after another one took the expired Lease.

mod decision;

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until, timeout_at};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use decision::{Action, Candidate, Observation, decide, holder, released};

/// Where the Lease lives, who this replica is, and the timing of client-go's elector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseSettings {
    /// Namespace of the Lease.
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// This replica's identity (the pod name), written as `holderIdentity`.
    pub identity: String,
    /// How long a Lease stays valid without renewal, as judged by the other replicas.
    pub lease_duration: Duration,
    /// How long a leader keeps trying to renew before it stops leading; shorter than
    /// `lease_duration`, so the old leader has stopped before anyone else may take over.
    pub renew_deadline: Duration,
    /// Pause between attempts, leading or not.
    pub retry_period: Duration,
}

impl LeaseSettings {
    /// Settings with client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry.
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        identity: impl Into<String>,
    ) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// Takes part in the election for one Lease until shut down.
pub struct LeaderElector {
    api: Api<Lease>,
    settings: LeaseSettings,
}

/// What one attempt came to.
enum Outcome {
    /// This replica wrote the Lease as its holder.
    Leading,
    /// Another replica holds a live Lease.
    Following(String),
    /// Another writer changed the Lease between our read and our write (409).
    LostRace(&'static str),
}

/// What the elector remembers between attempts.
#[derive(Default)]
struct State {
    /// The record last seen, and when it was first seen so (for expiry).
    observed: Option<Observation>,
    /// The Lease object last read or written (its resourceVersion is the one to PUT with).
    lease: Option<Lease>,
    /// While leading: the local time at which the last successful renewal started.
    renewed_at: Option<Instant>,
}

impl LeaderElector {
    /// An elector for the Lease named in `settings`, using `client` for every call.
    pub fn new(client: kube::Client, settings: LeaseSettings) -> Self {
        let api = Api::namespaced(client, &settings.namespace);
        Self { api, settings }
    }

    /// Runs until `shutdown` is cancelled. Publishes `true` on `leading` while this replica holds the
    /// Lease and `false` the moment it stops (renewal failed past the deadline, lease taken, shutdown).
    /// On shutdown while leading, releases the Lease before returning.
    ///
    /// Never fails: API errors are retried every `retry_period` and logged. The release on
    /// shutdown is bounded by `renew_deadline`; if it cannot be written, the Lease simply
    /// expires for the others after `lease_duration`.
    pub async fn run(self, leading: watch::Sender<bool>, shutdown: CancellationToken) {
        if self.settings.renew_deadline >= self.settings.lease_duration {
            warn!(lease = %self.lease_ref(), "The renew deadline is not shorter than the lease duration: a cut-off leader may still lead when another takes over");
        }
        let mut state = State::default();
        publish(&leading, false);
        while !shutdown.is_cancelled() {
            let now = Instant::now();
            self.check_deadline(&mut state, &leading, now);
            let deadline = self
                .renewal_deadline(&state)
                .unwrap_or(now + self.settings.renew_deadline);
            let attempt = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                attempt = timeout_at(deadline, self.attempt(&mut state, now)) => attempt,
            };
            match attempt {
                Ok(Ok(outcome)) => self.settle(&mut state, &leading, outcome, now),
                Ok(Err(error)) => self.failed(&mut state, &error.to_string()),
                Err(_elapsed) => self.failed(&mut state, "the API server did not answer in time"),
            }
            // Still leading here means the deadline is ahead, so the wait below is never zero.
            self.check_deadline(&mut state, &leading, Instant::now());
            let next = now + self.settings.retry_period;
            let next = self.renewal_deadline(&state).map_or(next, |d| next.min(d));
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                () = sleep_until(next) => {}
            }
        }
        let was_leading = state.renewed_at.is_some();
        publish(&leading, false);
        if was_leading {
            let deadline = Instant::now() + self.settings.renew_deadline;
            if timeout_at(deadline, self.release()).await.is_err() {
                warn!(lease = %self.lease_ref(), "Lease not released: the API server did not answer in time");
            }
        }
    }

    /// One round of client-go's `tryAcquireOrRenew`.
    async fn attempt(&self, state: &mut State, now: Instant) -> kube::Result<Outcome> {
        // A leader renews from its own last write: a 409 tells it if anyone else wrote since.
        let current = match (state.renewed_at, state.lease.take()) {
            (Some(_), Some(lease)) => Some(lease),
            _ => self.api.get_opt(&self.settings.name).await?,
        };
        state.observed = current.as_ref().map(|lease| {
            let spec = lease.spec.clone().unwrap_or_default();
            Observation::update(state.observed.take(), spec, now)
        });
        let candidate = Candidate {
            identity: &self.settings.identity,
            lease_duration: self.settings.lease_duration,
        };
        match decide(state.observed.as_ref(), &candidate, now, Timestamp::now()) {
            Action::Follow { holder, expires_in } => {
                debug!(lease = %self.lease_ref(), %holder, ?expires_in, "Lease held by another replica");
                state.lease = current;
                Ok(Outcome::Following(holder))
            }
            Action::Create(spec) => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.settings.name.clone()),
                        namespace: Some(self.settings.namespace.clone()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(spec),
                };
                let written = self.api.create(&PostParams::default(), &lease).await;
                self.written(state, written, now)
            }
            Action::Acquire(spec) | Action::Renew(spec) => {
                let lease = with_spec(current.unwrap_or_default(), spec);
                let written = self
                    .api
                    .replace(&self.settings.name, &PostParams::default(), &lease)
                    .await;
                self.written(state, written, now)
            }
        }
    }

    /// Records the server's answer to a create or update.
    fn written(
        &self,
        state: &mut State,
        written: kube::Result<Lease>,
        now: Instant,
    ) -> kube::Result<Outcome> {
        match written {
            Ok(lease) => {
                let spec = lease.spec.clone().unwrap_or_default();
                state.observed = Some(Observation { spec, seen_at: now });
                state.lease = Some(lease);
                Ok(Outcome::Leading)
            }
            Err(kube::Error::Api(status)) if status.is_already_exists() => {
                Ok(Outcome::LostRace("another replica created the Lease first"))
            }
            Err(kube::Error::Api(status)) if status.is_conflict() => Ok(Outcome::LostRace(
                "the Lease changed since it was read (409 Conflict)",
            )),
            Err(error) => Err(error),
        }
    }

    /// Applies an attempt's outcome to the published state, logging each change of leadership.
    fn settle(
        &self,
        state: &mut State,
        leading: &watch::Sender<bool>,
        outcome: Outcome,
        now: Instant,
    ) {
        match outcome {
            Outcome::Leading => {
                if state.renewed_at.is_none() {
                    let transitions = state
                        .observed
                        .as_ref()
                        .and_then(|o| o.spec.lease_transitions);
                    info!(lease = %self.lease_ref(), identity = %self.settings.identity, ?transitions, "Became leader");
                }
                state.renewed_at = Some(now);
                publish(leading, true);
            }
            Outcome::Following(holder) => {
                if state.renewed_at.is_some() {
                    self.step_down(state, leading, &format!("taken by {holder}"));
                }
            }
            Outcome::LostRace(why) => {
                if state.renewed_at.is_some() {
                    self.step_down(state, leading, why);
                } else {
                    debug!(lease = %self.lease_ref(), why, "Lost the race for the Lease");
                }
            }
        }
    }

    /// While leading: the moment by which the next renewal must succeed.
    fn renewal_deadline(&self, state: &State) -> Option<Instant> {
        state.renewed_at.map(|t| t + self.settings.renew_deadline)
    }

    /// Steps down once a leader has gone `renew_deadline` without a successful renewal, which
    /// is before any other replica can see its lease expire (`renew_deadline < lease_duration`).
    fn check_deadline(&self, state: &mut State, leading: &watch::Sender<bool>, now: Instant) {
        if self.renewal_deadline(state).is_some_and(|d| now >= d) {
            self.step_down(state, leading, "renewal failed for the renew deadline");
        }
    }

    /// A failed attempt: read afresh next time (the write may have landed after all).
    fn failed(&self, state: &mut State, error: &str) {
        state.lease = None;
        if state.renewed_at.is_some() {
            warn!(lease = %self.lease_ref(), error, "Lease renewal failed");
        } else {
            debug!(lease = %self.lease_ref(), error, "Lease acquisition failed");
        }
    }

    /// Stops leading at once.
    fn step_down(&self, state: &mut State, leading: &watch::Sender<bool>, why: &str) {
        state.renewed_at = None;
        state.lease = None;
        publish(leading, false);
        warn!(lease = %self.lease_ref(), identity = %self.settings.identity, why, "Lost the lease");
    }

    /// Clears the holder of a Lease this replica still holds, so the next replica need not
    /// wait for it to expire. Reads first: the write must carry the current resourceVersion.
    async fn release(&self) {
        let lease = match self.api.get_opt(&self.settings.name).await {
            Ok(Some(lease)) => lease,
            Ok(None) => return,
            Err(error) => {
                warn!(lease = %self.lease_ref(), %error, "Lease not released");
                return;
            }
        };
        let current = lease.spec.clone().unwrap_or_default();
        if holder(&current) != Some(self.settings.identity.as_str()) {
            info!(lease = %self.lease_ref(), holder = ?holder(&current), "Lease not released: no longer ours");
            return;
        }
        let lease = with_spec(lease, released(&current, Timestamp::now()));
        match self
            .api
            .replace(&self.settings.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => {
                info!(lease = %self.lease_ref(), identity = %self.settings.identity, "Released the lease")
            }
            Err(error) => warn!(lease = %self.lease_ref(), %error, "Lease not released"),
        }
    }

    fn lease_ref(&self) -> String {
        format!("{}/{}", self.settings.namespace, self.settings.name)
    }
}

/// The object to PUT: the one read (its resourceVersion makes the write conditional), without
/// managedFields (the server keeps them), with the new spec.
fn with_spec(mut lease: Lease, spec: LeaseSpec) -> Lease {
    lease.metadata.managed_fields = None;
    lease.spec = Some(spec);
    lease
}

/// Publishes a change of leadership; receivers see only real changes.
fn publish(leading: &watch::Sender<bool>, value: bool) {
    leading.send_if_modified(|current| std::mem::replace(current, value) != value);
}
