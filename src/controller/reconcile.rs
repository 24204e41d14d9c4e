//! One reconcile, the IO around [`super::plan`] and [`super::status`]: add the finalizer, check
//! ownership of every child, record the inventory, server-side apply the children in order,
//! prune what the spec no longer produces, write status when it changed, publish events. On
//! delete, remove what garbage collection cannot (cluster-scoped children and children in
//! other namespaces), then let the finalizer go.
//!
//! Every request is one the recordings in `tests/fixtures/apiserver-recordings/` show a real
//! API server answering; the mocked tests in `tests/controller.rs` replay them.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event as KubeEvent, EventType, Recorder};
use kube::runtime::finalizer::{self, Event};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::api::{InventoryEntry, KubernetesDaemonSet, KubernetesDaemonSetStatus};
use crate::naming::{CONTROLLER_FIELD_MANAGER, CONTROLLER_FINALIZER, OWNER_NAME_LABEL};
use crate::policy::Policy;

use super::children::{Child, ChildKind, OwnerKey};
use super::metrics::{ControllerMetrics, KindLabels};
use super::plan::{self, Plan, Stall, StallReason};
use super::scope::Scope;
use super::status::{self, Outcome, Rollout};

/// How soon a rolling-out DaemonSet is looked at again, besides the watch on it.
const ROLLOUT_REQUEUE: Duration = Duration::from_secs(30);
/// The first and the longest wait after a failed reconcile (doubling in between).
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// The finalizer `kubectl delete --cascade=orphan` sets: the owner goes, its dependents stay.
const ORPHAN_FINALIZER: &str = "orphan";
/// An event note may hold 1 kB.
const NOTE_LIMIT: usize = 1000;

/// Everything a reconcile needs, shared by all of them.
pub struct Context {
    /// The API client.
    pub client: Client,
    /// The policy in force (the same file the webhook reads; reloaded on change).
    pub policy: watch::Receiver<Option<Arc<Policy>>>,
    /// The administrator's limits.
    pub scope: Scope,
    /// How often a settled object is reconciled again (drift the watches missed).
    pub requeue: Duration,
    /// Metrics.
    pub metrics: Arc<ControllerMetrics>,
    /// Publishes Kubernetes Events; `None` publishes none.
    pub recorder: Option<Recorder>,
    /// Which KubernetesDaemonSet claimed each child in this process, so that two of them
    /// reconciled at the same moment cannot both create the same object.
    claims: Mutex<HashMap<InventoryEntry, OwnerKey>>,
    /// Consecutive failures per object, for the backoff.
    failures: Mutex<HashMap<OwnerKey, u32>>,
}

impl Context {
    /// A context; `recorder` `None` publishes no events.
    pub fn new(
        client: Client,
        policy: watch::Receiver<Option<Arc<Policy>>>,
        scope: Scope,
        requeue: Duration,
        metrics: Arc<ControllerMetrics>,
        recorder: Option<Recorder>,
    ) -> Self {
        Self {
            client,
            policy,
            scope,
            requeue,
            metrics,
            recorder,
            claims: Mutex::default(),
            failures: Mutex::default(),
        }
    }
}

impl Context {
    /// Forgets every claim and failure count: called when this replica starts leading, since
    /// reconciles abandoned when it last lost the lease never released theirs.
    pub fn new_term(&self) {
        lock(&self.claims).clear();
        lock(&self.failures).clear();
    }
}

/// Why a reconcile failed; every variant is retried with backoff.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An API call failed in a way a retry may fix (conflict, throttling, server error,
    /// connection).
    #[error("{0}")]
    Kube(#[from] kube::Error),
    /// Adding or removing the finalizer failed (for example kube-runtime's `test` guard lost
    /// a race with another writer: 422 with a generic message).
    #[error("finalizer: {0}")]
    Finalizer(String),
    /// The object came without a name or namespace.
    #[error("the KubernetesDaemonSet has no name or namespace")]
    Unnamed,
}

/// Reconciles one KubernetesDaemonSet (kube-runtime calls this).
pub async fn reconcile(kds: Arc<KubernetesDaemonSet>, ctx: Arc<Context>) -> Result<Action, Error> {
    let start = Instant::now();
    let in_flight = InFlight::new(&ctx.metrics);
    let key = OwnerKey::of(&kds);
    let result = reconcile_inner(kds, &ctx, &key).await;
    drop(in_flight);
    let seconds = start.elapsed().as_secs_f64();
    match &result {
        Ok((outcome, _)) => {
            lock(&ctx.failures).remove(&key);
            ctx.metrics.observe(outcome, seconds);
            info!(object = %key, outcome, ms = seconds * 1000.0, "Reconciled");
        }
        Err(e) => {
            ctx.metrics.observe("error", seconds);
            warn!(object = %key, error = %e, ms = seconds * 1000.0, "Reconcile failed; retrying");
        }
    }
    result.map(|(_, action)| action)
}

/// Counts a reconcile in `reconciles_in_flight` for as long as it lives, also when its future
/// is dropped halfway (the lease was lost).
struct InFlight<'a>(&'a ControllerMetrics);

impl<'a> InFlight<'a> {
    fn new(metrics: &'a ControllerMetrics) -> Self {
        metrics.in_flight.inc();
        Self(metrics)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

/// The wait before retrying a failed reconcile: 1 s, doubling per consecutive failure, at most
/// 5 min (kube-runtime calls this).
pub fn error_policy(kds: Arc<KubernetesDaemonSet>, _error: &Error, ctx: Arc<Context>) -> Action {
    let mut failures = lock(&ctx.failures);
    let n = failures.entry(OwnerKey::of(&kds)).or_insert(0);
    *n = n.saturating_add(1);
    Action::requeue(backoff(*n))
}

/// The wait after `failures` consecutive failures.
pub fn backoff(failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
    BACKOFF_MIN.saturating_mul(factor).min(BACKOFF_MAX)
}

async fn reconcile_inner(
    kds: Arc<KubernetesDaemonSet>,
    ctx: &Context,
    key: &OwnerKey,
) -> Result<(&'static str, Action), Error> {
    if key.namespace.is_empty() || key.name.is_empty() {
        return Err(Error::Unnamed);
    }
    let api: Api<KubernetesDaemonSet> = Api::namespaced(ctx.client.clone(), &key.namespace);
    // What the reconcile did, for the metric and the log line; kube-runtime's finalizer
    // helper only passes the `Action` back. Without a call (the finalizer was just added,
    // which triggers the next reconcile) it stays `finalizer_added`.
    let outcome = Mutex::new("finalizer_added");
    let result = finalizer::finalizer(&api, CONTROLLER_FINALIZER, kds, |event| async {
        match event {
            Event::Apply(kds) => apply(&kds, ctx, key, &outcome).await,
            Event::Cleanup(kds) => {
                let action = cleanup(&kds, ctx, key).await?;
                *lock(&outcome) = "deleted";
                Ok(action)
            }
        }
    })
    .await;
    let outcome = *lock(&outcome);
    match result {
        Ok(action) => Ok((outcome, action)),
        Err(finalizer::Error::ApplyFailed(e) | finalizer::Error::CleanupFailed(e)) => Err(e),
        Err(e) => Err(Error::Finalizer(e.to_string())),
    }
}

/// Applies the desired children, or reports why not.
async fn apply(
    kds: &KubernetesDaemonSet,
    ctx: &Context,
    key: &OwnerKey,
    outcome: &Mutex<&'static str>,
) -> Result<Action, Error> {
    *lock(outcome) = "stalled";
    let policy = ctx.policy.borrow().clone();
    let desired = match plan::plan(kds, policy.as_deref(), &ctx.scope) {
        Plan::Stalled(stall) => return stalled(kds, ctx, stall).await,
        Plan::Apply(desired) => desired,
    };
    // The status as the server holds it now; updated by each status write of this reconcile.
    let mut current = kds.status.clone();
    let previous_inventory = current
        .as_ref()
        .and_then(|s| s.inventory.clone())
        .unwrap_or_default();

    // Ownership first, for every child: nothing is applied when any of them is someone else's.
    let mut versions = HashMap::new();
    let mut children = Vec::with_capacity(desired.children.len());
    for child in &desired.children {
        match ownership(ctx, child, key).await? {
            Ownership::Absent => children.push(child),
            Ownership::Ours(rv) => {
                versions.insert(child.entry(), rv);
                children.push(child);
            }
            // An existing Namespace is used as it is: that is what the object needs.
            Ownership::Foreign(_) if child.kind == ChildKind::Namespace => {}
            Ownership::Foreign(message) => {
                return stalled(
                    kds,
                    ctx,
                    Stall {
                        reason: StallReason::OwnershipConflict,
                        message,
                    },
                )
                .await;
            }
        }
    }
    if let Some(message) = claim(ctx, key, &children) {
        let stall = Stall {
            reason: StallReason::OwnershipConflict,
            message,
        };
        return stalled(kds, ctx, stall).await;
    }
    let mut inventory: Vec<InventoryEntry> = children.iter().map(|c| c.entry()).collect();
    inventory.sort();

    // Record the intent before creating anything new, so nothing applied is ever forgotten.
    if !inventory.iter().all(|e| previous_inventory.contains(e)) {
        let intent = status::with_inventory(
            current.as_ref(),
            plan::union(&previous_inventory, &inventory),
        );
        write_status(&api_for(ctx, key), key, &intent).await?;
        current = Some(intent);
    }

    let mut rollout = Rollout::default();
    let mut written = Vec::new();
    for child in &children {
        match apply_child(ctx, child).await {
            Ok(obj) => {
                let changed = versions.get(&child.entry()) != Some(&obj.metadata.resource_version);
                if changed {
                    written.push(describe(
                        child.kind,
                        child.namespace.as_deref(),
                        &child.name,
                    ));
                    ctx.metrics
                        .writes
                        .get_or_create(&kind_label(child.kind))
                        .inc();
                }
                if child.kind == ChildKind::DaemonSet
                    && let Ok(ds) = obj.try_parse::<DaemonSet>()
                {
                    rollout = Rollout::of(&ds);
                }
            }
            Err(kube::Error::Api(status)) if is_permanent(status.code) => {
                let message = format!(
                    "the API server refused {}: {}",
                    describe(child.kind, child.namespace.as_deref(), &child.name),
                    status.message
                );
                let stall = Stall {
                    reason: StallReason::ApplyRejected,
                    message,
                };
                return stalled_at(kds, current.as_ref(), ctx, stall).await;
            }
            Err(e) => return retrying(kds, current.as_ref(), ctx, key, e).await,
        }
    }

    let pruned = match prune(ctx, key, &plan::prune_set(&previous_inventory, &inventory)).await {
        Ok(pruned) => pruned,
        Err(e) => return retrying(kds, current.as_ref(), ctx, key, e).await,
    };
    release(ctx, key, |e| !inventory.contains(e));

    let applied = Outcome::Applied {
        target_namespace: desired.target_namespace.clone(),
        daemon_set_name: desired.daemon_set_name.clone(),
        rollout: rollout.clone(),
        inventory,
    };
    let next = status::next(current.as_ref(), kds.metadata.generation, &applied, &now());
    if current.as_ref() != Some(&next) {
        write_status(&api_for(ctx, key), key, &next).await?;
    }
    *lock(outcome) = "applied";
    if !written.is_empty() {
        publish(ctx, kds, EventType::Normal, "Applied", "Apply", &written).await;
    }
    if !pruned.is_empty() {
        publish(ctx, kds, EventType::Normal, "Pruned", "Prune", &pruned).await;
    }
    Ok(if rollout.is_complete() {
        Action::requeue(ctx.requeue)
    } else {
        Action::requeue(ROLLOUT_REQUEUE.min(ctx.requeue))
    })
}

/// Deletes every child garbage collection would not (and the rest too, which is quicker),
/// except Namespaces, which may hold other things. `kubectl delete --cascade=orphan` (the
/// `orphan` finalizer) keeps every child.
async fn cleanup(
    kds: &KubernetesDaemonSet,
    ctx: &Context,
    key: &OwnerKey,
) -> Result<Action, Error> {
    if kds.finalizers().iter().any(|f| f == ORPHAN_FINALIZER) {
        release(ctx, key, |_| true);
        info!(object = %key, "Deleted with --cascade=orphan: its objects are kept");
        return Ok(Action::await_change());
    }
    let mut entries: BTreeSet<InventoryEntry> = kds
        .status
        .as_ref()
        .and_then(|s| s.inventory.clone())
        .unwrap_or_default()
        .into_iter()
        .collect();
    let policy = ctx.policy.borrow().clone();
    if let Plan::Apply(desired) = plan::plan(kds, policy.as_deref(), &ctx.scope) {
        entries.extend(desired.inventory());
    }
    let entries: Vec<InventoryEntry> = entries.into_iter().collect();
    let deleted = prune(ctx, key, &plan::prune_set(&entries, &[])).await?;
    release(ctx, key, |_| true);
    if !deleted.is_empty() {
        publish(ctx, kds, EventType::Normal, "Deleted", "Delete", &deleted).await;
    }
    info!(object = %key, deleted = deleted.len(), "Cleaned up");
    Ok(Action::await_change())
}

/// Writes the stalled status (when it changed) and an event (when newly stalled).
async fn stalled(kds: &KubernetesDaemonSet, ctx: &Context, stall: Stall) -> Result<Action, Error> {
    stalled_at(kds, kds.status.as_ref(), ctx, stall).await
}

/// [`stalled`], given the status as this reconcile last wrote it.
async fn stalled_at(
    kds: &KubernetesDaemonSet,
    previous: Option<&KubernetesDaemonSetStatus>,
    ctx: &Context,
    stall: Stall,
) -> Result<Action, Error> {
    let key = OwnerKey::of(kds);
    // A stalled object creates nothing: its claims would only block another.
    release(ctx, &key, |_| true);
    let was = previous.and_then(|s| status::condition(s, status::STALLED));
    let news = !was.is_some_and(|c| c.status == "True" && c.message == stall.message);
    let next = status::next(
        previous,
        kds.metadata.generation,
        &Outcome::Stalled(stall.clone()),
        &now(),
    );
    if previous != Some(&next) {
        write_status(&api_for(ctx, &key), &key, &next).await?;
    }
    if news {
        warn!(object = %key, reason = stall.reason.as_str(), message = %stall.message, "Stalled");
        publish(
            ctx,
            kds,
            EventType::Warning,
            stall.reason.as_str(),
            "Reconcile",
            std::slice::from_ref(&stall.message),
        )
        .await;
    }
    Ok(Action::requeue(ctx.requeue))
}

/// Records a transient failure in status (best effort) and hands the error to the backoff.
async fn retrying(
    kds: &KubernetesDaemonSet,
    previous: Option<&KubernetesDaemonSetStatus>,
    ctx: &Context,
    key: &OwnerKey,
    error: kube::Error,
) -> Result<Action, Error> {
    let outcome = Outcome::Retrying {
        message: error.to_string(),
    };
    let next = status::next(previous, kds.metadata.generation, &outcome, &now());
    if previous != Some(&next)
        && let Err(e) = write_status(&api_for(ctx, key), key, &next).await
    {
        warn!(object = %key, error = %e, "Could not record the failure in status");
    }
    Err(Error::Kube(error))
}

enum Ownership {
    /// No such object: applying creates it.
    Absent,
    /// Ours, at this resourceVersion.
    Ours(Option<String>),
    /// Someone else's: why.
    Foreign(String),
}

/// Whose the child's object is now.
async fn ownership(ctx: &Context, child: &Child, key: &OwnerKey) -> Result<Ownership, Error> {
    let api = dynamic_api(ctx, child.kind, child.namespace.as_deref());
    let Some(meta) = api.get_metadata_opt(&child.name).await? else {
        return Ok(Ownership::Absent);
    };
    let what = describe(child.kind, child.namespace.as_deref(), &child.name);
    Ok(match OwnerKey::from_labels(meta.metadata.labels.as_ref()) {
        Some(owner) if owner == *key => Ownership::Ours(meta.metadata.resource_version),
        Some(other) => Ownership::Foreign(format!(
            "{what} belongs to KubernetesDaemonSet {other}: two KubernetesDaemonSets cannot \
                 produce the same object; rename this one or change its spec.namespace"
        )),
        None => Ownership::Foreign(format!(
            "{what} already exists and was not created by the controller (it has no \
                 {OWNER_NAME_LABEL} label); the controller never takes over an existing object: \
                 delete or rename it, or rename this KubernetesDaemonSet"
        )),
    })
}

/// Claims every child for `key` in this process; the message when another holds one.
fn claim(ctx: &Context, key: &OwnerKey, children: &[&Child]) -> Option<String> {
    let mut claims = lock(&ctx.claims);
    for child in children {
        if let Some(other) = claims.get(&child.entry()).filter(|o| *o != key) {
            return Some(format!(
                "{} is being created for KubernetesDaemonSet {other}: two KubernetesDaemonSets \
                 cannot produce the same object; rename this one or change its spec.namespace",
                describe(child.kind, child.namespace.as_deref(), &child.name)
            ));
        }
    }
    for child in children {
        claims.insert(child.entry(), key.clone());
    }
    None
}

/// Drops `key`'s claims on the entries `drop` selects.
fn release(ctx: &Context, key: &OwnerKey, drop: impl Fn(&InventoryEntry) -> bool) {
    lock(&ctx.claims).retain(|e, owner| owner != key || !drop(e));
}

/// Server-side applies one child with the controller's field manager and `force`, so that a
/// hand edit (another manager) is overwritten rather than answered with 409 forever.
async fn apply_child(ctx: &Context, child: &Child) -> Result<DynamicObject, kube::Error> {
    let api = dynamic_api(ctx, child.kind, child.namespace.as_deref());
    let params = PatchParams::apply(CONTROLLER_FIELD_MANAGER).force();
    ctx.metrics
        .applies
        .get_or_create(&kind_label(child.kind))
        .inc();
    api.patch(&child.name, &params, &Patch::Apply(&child.object))
        .await
}

/// Deletes the entries that still carry `key`'s ownership labels; returns what it deleted.
async fn prune(
    ctx: &Context,
    key: &OwnerKey,
    entries: &[InventoryEntry],
) -> Result<Vec<String>, kube::Error> {
    let mut deleted = Vec::new();
    for entry in entries {
        let Some(kind) = ChildKind::of(entry) else {
            continue;
        };
        let api = dynamic_api(ctx, kind, entry.namespace.as_deref());
        let Some(meta) = api.get_metadata_opt(&entry.name).await? else {
            continue;
        };
        if OwnerKey::from_labels(meta.metadata.labels.as_ref()).as_ref() != Some(key) {
            info!(object = %key, child = %describe(kind, entry.namespace.as_deref(), &entry.name),
                "Not pruned: no longer carries this object's ownership labels");
            continue;
        }
        match api.delete(&entry.name, &DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.is_not_found() => continue,
            Err(e) => return Err(e),
        }
        ctx.metrics.prunes.get_or_create(&kind_label(kind)).inc();
        deleted.push(describe(kind, entry.namespace.as_deref(), &entry.name));
    }
    Ok(deleted)
}

/// Server-side applies the status subresource (every field is declared in the CRD's status
/// schema; anything else is answered 500).
async fn write_status(
    api: &Api<KubernetesDaemonSet>,
    key: &OwnerKey,
    status: &KubernetesDaemonSetStatus,
) -> Result<(), kube::Error> {
    let body = json!({
        "apiVersion": crate::api::API_VERSION,
        "kind": crate::api::KIND,
        "status": status,
    });
    let params = PatchParams::apply(CONTROLLER_FIELD_MANAGER).force();
    api.patch_status(&key.name, &params, &Patch::Apply(&body))
        .await
        .map(drop)
}

/// Publishes an event on the KubernetesDaemonSet; a failure is logged, never fatal.
async fn publish(
    ctx: &Context,
    kds: &KubernetesDaemonSet,
    type_: EventType,
    reason: &str,
    action: &str,
    lines: &[String],
) {
    let Some(recorder) = &ctx.recorder else {
        return;
    };
    let mut note = lines.join(", ");
    if note.len() > NOTE_LIMIT {
        let mut cut = NOTE_LIMIT - 3;
        while !note.is_char_boundary(cut) {
            cut -= 1;
        }
        note.truncate(cut);
        note.push_str("...");
    }
    let event = KubeEvent {
        type_,
        reason: reason.to_owned(),
        note: Some(note),
        action: action.to_owned(),
        secondary: None,
    };
    if let Err(e) = recorder.publish(&event, &kds.object_ref(&())).await {
        warn!(object = %OwnerKey::of(kds), error = %e, "Could not publish an event");
    }
}

/// 4xx answers a retry cannot fix: a bad request, no permission (RBAC, escalation, a
/// terminating namespace), a missing namespace, an invalid or immutable field.
fn is_permanent(code: u16) -> bool {
    matches!(code, 400 | 403 | 404 | 422)
}

fn api_for(ctx: &Context, key: &OwnerKey) -> Api<KubernetesDaemonSet> {
    Api::namespaced(ctx.client.clone(), &key.namespace)
}

fn dynamic_api(ctx: &Context, kind: ChildKind, namespace: Option<&str>) -> Api<DynamicObject> {
    let resource = kind.api_resource();
    match namespace {
        Some(ns) => Api::namespaced_with(ctx.client.clone(), ns, &resource),
        None => Api::all_with(ctx.client.clone(), &resource),
    }
}

fn kind_label(kind: ChildKind) -> KindLabels {
    KindLabels { kind: kind.kind() }
}

/// `DaemonSet logging/agent`, `ClusterRole kds:logging:agent`.
fn describe(kind: ChildKind, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The name `kds` is reconciled under in logs.
pub fn object_name(kds: &KubernetesDaemonSet) -> String {
    format!("{}/{}", kds.namespace().unwrap_or_default(), kds.name_any())
}
