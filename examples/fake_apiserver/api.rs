//! The fake API server's state and request handling, without sockets.
//!
//! One store of JSON objects keyed by resource, namespace and name, with a global
//! resourceVersion and an event log for watches. Shapes follow the recorded answers
//! (`tests/fixtures/apiserver-recordings/`): list bodies as [24], metadata lists and events
//! as [28]/[29], watch events as [25], 404s as [35], deletes as [40] and [21], status applies
//! as [17], finalizer JSON patches as [19]/[23], Lease conflicts as [32]. It implements only
//! what the controller calls, and keeps no managedFields.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Notify;

/// One resource collection: `(group, plural)`.
pub type Resource = (String, String);

/// A parsed request path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `""` for the core group.
    pub group: String,
    /// `v1`.
    pub version: String,
    /// `daemonsets`.
    pub plural: String,
    /// The namespace in the path, if any.
    pub namespace: Option<String>,
    /// The object's name, if any.
    pub name: Option<String>,
    /// `status` for the status subresource.
    pub subresource: Option<String>,
}

impl Target {
    /// Parses `/api/v1/...` and `/apis/<group>/<version>/...`.
    pub fn parse(path: &str) -> Option<Self> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (group, version, rest) = match *parts.first()? {
            "api" => ("", *parts.get(1)?, &parts[2..]),
            "apis" => (*parts.get(1)?, *parts.get(2)?, &parts[3..]),
            _ => return None,
        };
        let (namespace, rest) = match rest {
            ["namespaces", ns, plural, more @ ..] => {
                (Some((*ns).to_owned()), [&[*plural][..], more].concat())
            }
            other => (None, other.to_vec()),
        };
        let plural = (*rest.first()?).to_owned();
        Some(Self {
            group: group.to_owned(),
            version: version.to_owned(),
            plural,
            namespace,
            name: rest.get(1).map(|s| (*s).to_owned()),
            subresource: rest.get(2).map(|s| (*s).to_owned()),
        })
    }

    fn resource(&self) -> Resource {
        (self.group.clone(), self.plural.clone())
    }

    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// An answer: status and JSON body, or a watch to stream.
pub enum Answer {
    /// A plain reply.
    Json(u16, Value),
    /// A watch from this resourceVersion.
    Watch {
        /// The collection.
        resource: Resource,
        /// Only this namespace, if set.
        namespace: Option<String>,
        /// Label keys that must be present.
        labels: Vec<String>,
        /// Events after this resourceVersion.
        since: u64,
        /// Metadata-only objects.
        metadata_only: bool,
        /// When the server ends the stream.
        timeout: Duration,
    },
}

/// One stored change, for watches.
#[derive(Clone, Debug)]
pub struct Change {
    /// The collection.
    pub resource: Resource,
    /// `ADDED`, `MODIFIED`, `DELETED`.
    pub kind: &'static str,
    /// The object after the change.
    pub object: Value,
    /// Its resourceVersion.
    pub rv: u64,
}

/// Something a test or benchmark watches for: when each DaemonSet was first applied.
#[derive(Default)]
struct Clock {
    created: BTreeMap<String, Instant>,
    applied: BTreeMap<String, Instant>,
}

/// The whole server state.
#[derive(Default)]
pub struct State {
    inner: Mutex<Inner>,
    /// Woken on every change.
    pub changed: Notify,
    clock: Mutex<Clock>,
    /// Nodes the simulated DaemonSet controller schedules pods on.
    pub nodes: i64,
}

#[derive(Default)]
struct Inner {
    rv: u64,
    uid: u64,
    objects: BTreeMap<Resource, BTreeMap<(String, String), Value>>,
    log: Vec<Change>,
}

fn status(code: u16, reason: &str, message: String) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code})
}

fn not_found(t: &Target, name: &str) -> Answer {
    let what = if t.group.is_empty() {
        t.plural.clone()
    } else {
        format!("{}.{}", t.plural, t.group)
    };
    Answer::Json(
        404,
        status(404, "NotFound", format!("{what} \"{name}\" not found")),
    )
}

fn has_labels(object: &Value, keys: &[String]) -> bool {
    keys.iter()
        .all(|k| object["metadata"]["labels"].get(k).is_some())
}

fn metadata_of(object: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
        "metadata": object["metadata"].clone()})
}

/// Merges an applied body into the stored object the way the controller's applies need:
/// every top-level field it sends replaces the stored one; labels, annotations and
/// ownerReferences are replaced as sent.
fn merge_apply(stored: &mut Value, body: &Value) {
    for (k, v) in body.as_object().into_iter().flatten() {
        match k.as_str() {
            "metadata" => {
                for key in ["labels", "annotations", "ownerReferences"] {
                    if let Some(v) = v.get(key) {
                        stored["metadata"][key] = v.clone();
                    }
                }
            }
            "status" => {}
            _ => stored[k] = v.clone(),
        }
    }
}

impl State {
    /// A server whose simulated nodes run every DaemonSet.
    pub fn new(nodes: i64) -> Self {
        Self {
            nodes,
            ..Self::default()
        }
    }

    /// Creates or replaces an object as kubectl would (used by tests and the benchmark).
    pub fn put(&self, path: &str, object: Value) -> Value {
        let target = Target::parse(path).expect("a resource path");
        let mut inner = self.inner.lock().expect("lock");
        let name = object["metadata"]["name"]
            .as_str()
            .expect("a name")
            .to_owned();
        let mut object = object;
        if let Some(ns) = &target.namespace {
            object["metadata"]["namespace"] = json!(ns);
        }
        // An update keeps what the server owns (uid, finalizers, status); the spec is new.
        let existing = inner.find(&target, &name).cloned();
        let created = existing.is_none();
        let mut object = match existing {
            Some(mut e) => {
                e["spec"] = object["spec"].clone();
                e
            }
            None => object,
        };
        let stored = inner.store(&target, &name, &mut object, created);
        drop(inner);
        self.clock.lock().expect("lock").created.insert(
            format!("{}/{}", target.namespace.clone().unwrap_or_default(), name),
            Instant::now(),
        );
        self.changed.notify_waiters();
        stored
    }

    /// The object at `path`, if any.
    pub fn get(&self, path: &str) -> Option<Value> {
        let t = Target::parse(path)?;
        let inner = self.inner.lock().expect("lock");
        inner.find(&t, t.name.as_deref()?).cloned()
    }

    /// Removes the object at `path` as if deleted by hand, bypassing finalizers.
    pub fn remove(&self, path: &str) {
        let Some(t) = Target::parse(path) else { return };
        let Some(name) = t.name.clone() else { return };
        let mut inner = self.inner.lock().expect("lock");
        if let Some(obj) = inner.take(&t, &name) {
            inner.record(&t, "DELETED", obj);
        }
        drop(inner);
        self.changed.notify_waiters();
    }

    /// For each KubernetesDaemonSet created through [`State::put`] whose DaemonSet has been
    /// applied: the time from creation to the first apply.
    pub fn latencies(&self) -> Vec<Duration> {
        let clock = self.clock.lock().expect("lock");
        clock
            .created
            .iter()
            .filter_map(|(k, t)| clock.applied.get(k).map(|a| a.duration_since(*t)))
            .collect()
    }

    /// Objects stored of `(group, plural)`.
    pub fn count(&self, group: &str, plural: &str) -> usize {
        let inner = self.inner.lock().expect("lock");
        inner
            .objects
            .get(&(group.to_owned(), plural.to_owned()))
            .map_or(0, BTreeMap::len)
    }

    /// Changes after `since` that a watch wants; the current resourceVersion.
    pub fn changes(
        &self,
        resource: &Resource,
        namespace: Option<&str>,
        labels: &[String],
        since: u64,
    ) -> (Vec<Change>, u64) {
        let inner = self.inner.lock().expect("lock");
        let changes = inner
            .log
            .iter()
            .filter(|c| c.rv > since && &c.resource == resource)
            .filter(|c| namespace.is_none_or(|ns| c.object["metadata"]["namespace"] == ns))
            .filter(|c| has_labels(&c.object, labels))
            .cloned()
            .collect();
        (changes, inner.rv)
    }

    /// Handles one request.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        query: &BTreeMap<String, String>,
        content_type: &str,
        accept: &str,
        body: Option<Value>,
    ) -> Answer {
        let Some(t) = Target::parse(path) else {
            return Answer::Json(404, json!("404 page not found"));
        };
        let metadata_only = accept.contains("PartialObjectMetadata");
        let labels: Vec<String> = query
            .get("labelSelector")
            .map(|s| s.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        let answer = match (method, t.name.clone()) {
            ("GET", None) if query.get("watch").is_some_and(|w| w == "true" || w == "1") => {
                Answer::Watch {
                    resource: t.resource(),
                    namespace: t.namespace.clone(),
                    labels,
                    since: query
                        .get("resourceVersion")
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(0),
                    metadata_only,
                    timeout: Duration::from_secs(
                        query
                            .get("timeoutSeconds")
                            .and_then(|t| t.parse().ok())
                            .unwrap_or(290)
                            .min(5),
                    ),
                }
            }
            ("GET", None) => self.list(&t, &labels, metadata_only),
            ("GET", Some(name)) => {
                let inner = self.inner.lock().expect("lock");
                match inner.find(&t, &name) {
                    Some(o) if metadata_only => Answer::Json(200, metadata_of(o)),
                    Some(o) => Answer::Json(200, o.clone()),
                    None => not_found(&t, &name),
                }
            }
            ("PATCH", Some(name)) => self.patch(&t, &name, query, content_type, body),
            ("POST", None) => self.create(&t, body),
            ("PUT", Some(name)) => self.replace(&t, &name, body),
            ("DELETE", Some(name)) => self.delete(&t, &name),
            _ => Answer::Json(
                405,
                status(405, "MethodNotAllowed", format!("{method} {path}")),
            ),
        };
        self.changed.notify_waiters();
        answer
    }

    fn list(&self, t: &Target, labels: &[String], metadata_only: bool) -> Answer {
        let inner = self.inner.lock().expect("lock");
        let items: Vec<Value> = inner
            .objects
            .get(&t.resource())
            .into_iter()
            .flat_map(BTreeMap::iter)
            .filter(|((ns, _), _)| t.namespace.as_ref().is_none_or(|n| n == ns))
            .map(|(_, o)| o)
            .filter(|o| has_labels(o, labels))
            .map(|o| {
                if metadata_only {
                    metadata_of(o)
                } else {
                    o.clone()
                }
            })
            .collect();
        let (kind, api_version) = if metadata_only {
            (
                "PartialObjectMetadataList".to_owned(),
                "meta.k8s.io/v1".to_owned(),
            )
        } else {
            (format!("{}List", singular_kind(&t.plural)), t.api_version())
        };
        Answer::Json(
            200,
            json!({"apiVersion": api_version, "kind": kind,
                "metadata": {"continue": "", "resourceVersion": inner.rv.to_string()},
                "items": items}),
        )
    }

    fn patch(
        &self,
        t: &Target,
        name: &str,
        query: &BTreeMap<String, String>,
        content_type: &str,
        body: Option<Value>,
    ) -> Answer {
        let body = body.unwrap_or(Value::Null);
        let mut inner = self.inner.lock().expect("lock");
        if content_type.starts_with("application/apply-patch") {
            if query.get("fieldManager").is_none_or(String::is_empty) {
                return Answer::Json(
                    422,
                    status(422, "Invalid", "fieldManager: Required value".into()),
                );
            }
            if t.subresource.as_deref() == Some("status") {
                let Some(mut obj) = inner.find(t, name).cloned() else {
                    return not_found(t, name);
                };
                if obj["status"] == body["status"] {
                    return Answer::Json(200, obj);
                }
                obj["status"] = body["status"].clone();
                let stored = inner.store(t, name, &mut obj, false);
                return Answer::Json(200, stored);
            }
            let existing = inner.find(t, name).cloned();
            let code = if existing.is_some() { 200 } else { 201 };
            let mut obj = existing.clone().unwrap_or_else(|| {
                let mut fresh = body.clone();
                fresh["metadata"] = json!({"name": name});
                if let Some(ns) = &t.namespace {
                    fresh["metadata"]["namespace"] = json!(ns);
                }
                fresh
            });
            merge_apply(&mut obj, &body);
            if existing.as_ref() == Some(&obj) {
                return Answer::Json(200, obj);
            }
            let stored = inner.store(t, name, &mut obj, existing.is_none());
            drop(inner);
            if t.plural == "daemonsets" {
                let key = format!("{}/{}", t.namespace.clone().unwrap_or_default(), name);
                self.clock
                    .lock()
                    .expect("lock")
                    .applied
                    .entry(owner_key(&stored).unwrap_or(key))
                    .or_insert_with(Instant::now);
            }
            return Answer::Json(code, stored);
        }
        // JSON patch (finalizers) or merge patch.
        let Some(mut obj) = inner.find(t, name).cloned() else {
            return not_found(t, name);
        };
        if content_type.starts_with("application/json-patch") {
            // The API server lets a `test` against null pass on an absent field [19];
            // json-patch does not, so such tests are dropped first.
            let ops: Vec<Value> = body
                .as_array()
                .into_iter()
                .flatten()
                .filter(|op| {
                    let absent_null_test = op["op"] == "test"
                        && op["value"].is_null()
                        && op["path"]
                            .as_str()
                            .is_some_and(|p| obj.pointer(p).is_none());
                    !absent_null_test
                })
                .cloned()
                .collect();
            let Ok(patch) = serde_json::from_value::<json_patch::Patch>(Value::Array(ops)) else {
                return Answer::Json(400, status(400, "BadRequest", "not a JSON patch".into()));
            };
            if json_patch::patch(&mut obj, &patch).is_err() {
                return Answer::Json(
                    422,
                    status(
                        422,
                        "Invalid",
                        "the server rejected our request due to an error in our request".into(),
                    ),
                );
            }
        } else {
            json_patch::merge(&mut obj, &body);
        }
        let deleting = obj["metadata"].get("deletionTimestamp").is_some();
        let finalizers_left = obj["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        if deleting && !finalizers_left {
            inner.take(t, name);
            inner.record(t, "DELETED", obj.clone());
            return Answer::Json(200, obj);
        }
        let stored = inner.store(t, name, &mut obj, false);
        Answer::Json(200, stored)
    }

    fn create(&self, t: &Target, body: Option<Value>) -> Answer {
        let mut obj = body.unwrap_or(Value::Null);
        if t.plural == "events" {
            obj["metadata"]["name"] = json!(format!("kds-controller-{}", self.next_uid()));
            return Answer::Json(201, obj);
        }
        let Some(name) = obj["metadata"]["name"].as_str().map(str::to_owned) else {
            return Answer::Json(
                422,
                status(422, "Invalid", "metadata.name: Required value".into()),
            );
        };
        let mut inner = self.inner.lock().expect("lock");
        if inner.find(t, &name).is_some() {
            return Answer::Json(
                409,
                status(
                    409,
                    "AlreadyExists",
                    format!("{}.{} \"{name}\" already exists", t.plural, t.group),
                ),
            );
        }
        if let Some(ns) = &t.namespace {
            obj["metadata"]["namespace"] = json!(ns);
        }
        let stored = inner.store(t, &name, &mut obj, true);
        Answer::Json(201, stored)
    }

    fn replace(&self, t: &Target, name: &str, body: Option<Value>) -> Answer {
        let mut obj = body.unwrap_or(Value::Null);
        let mut inner = self.inner.lock().expect("lock");
        let Some(existing) = inner.find(t, name).cloned() else {
            return not_found(t, name);
        };
        if obj["metadata"]["resourceVersion"] != existing["metadata"]["resourceVersion"] {
            return Answer::Json(
                409,
                status(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {}.{} \"{name}\": the object has been \
                         modified; please apply your changes to the latest version and try again",
                        t.plural, t.group
                    ),
                ),
            );
        }
        obj["metadata"]["uid"] = existing["metadata"]["uid"].clone();
        let stored = inner.store(t, name, &mut obj, false);
        Answer::Json(200, stored)
    }

    fn delete(&self, t: &Target, name: &str) -> Answer {
        let mut inner = self.inner.lock().expect("lock");
        let Some(mut obj) = inner.find(t, name).cloned() else {
            return not_found(t, name);
        };
        let has_finalizers = obj["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        if has_finalizers {
            if obj["metadata"].get("deletionTimestamp").is_none() {
                obj["metadata"]["deletionTimestamp"] = json!("2026-12-01T08:22:09Z");
                let stored = inner.store(t, name, &mut obj, false);
                return Answer::Json(200, stored);
            }
            return Answer::Json(200, obj);
        }
        inner.take(t, name);
        inner.record(t, "DELETED", obj.clone());
        Answer::Json(
            200,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "group": t.group, "kind": t.plural,
                    "uid": obj["metadata"]["uid"]}}),
        )
    }

    fn next_uid(&self) -> u64 {
        let mut inner = self.inner.lock().expect("lock");
        inner.uid += 1;
        inner.uid
    }
}

impl Inner {
    fn key(t: &Target, name: &str) -> (String, String) {
        (t.namespace.clone().unwrap_or_default(), name.to_owned())
    }

    fn find(&self, t: &Target, name: &str) -> Option<&Value> {
        self.objects.get(&t.resource())?.get(&Self::key(t, name))
    }

    fn take(&mut self, t: &Target, name: &str) -> Option<Value> {
        self.objects
            .get_mut(&t.resource())?
            .remove(&Self::key(t, name))
    }

    /// Stores `obj` with a new resourceVersion (and uid, generation on create; generation +1
    /// when the spec changed), runs the simulated DaemonSet controller, records the event.
    fn store(&mut self, t: &Target, name: &str, obj: &mut Value, create: bool) -> Value {
        self.rv += 1;
        let previous = self.find(t, name).cloned();
        let meta = &mut obj["metadata"];
        meta["resourceVersion"] = json!(self.rv.to_string());
        if create || previous.is_none() {
            self.uid += 1;
            meta["uid"] = json!(format!("00000000-0000-0000-0000-{:012}", self.uid));
            meta["creationTimestamp"] = json!("2026-12-01T08:21:12Z");
            meta["generation"] = json!(1);
        } else if let Some(prev) = &previous {
            meta["uid"] = prev["metadata"]["uid"].clone();
            meta["creationTimestamp"] = prev["metadata"]["creationTimestamp"].clone();
            let generation = prev["metadata"]["generation"].as_i64().unwrap_or(1);
            let bump = prev.get("spec") != obj.get("spec");
            obj["metadata"]["generation"] = json!(generation + i64::from(bump));
        }
        let kind = if previous.is_some() {
            "MODIFIED"
        } else {
            "ADDED"
        };
        self.objects
            .entry(t.resource())
            .or_default()
            .insert(Self::key(t, name), obj.clone());
        self.record(t, kind, obj.clone());
        obj.clone()
    }

    fn record(&mut self, t: &Target, kind: &'static str, mut object: Value) {
        // A DELETED event carries the last state stamped with a new resourceVersion [25].
        if kind == "DELETED" {
            self.rv += 1;
            object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        }
        let rv = object["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|r| r.parse().ok())
            .unwrap_or(self.rv);
        self.log.push(Change {
            resource: t.resource(),
            kind,
            object,
            rv,
        });
    }
}

/// `<namespace>/<name>` of the KubernetesDaemonSet owning a child, from its labels.
fn owner_key(obj: &Value) -> Option<String> {
    let labels = &obj["metadata"]["labels"];
    Some(format!(
        "{}/{}",
        labels["kubernetes.project-planton.org/owner-namespace"].as_str()?,
        labels["kubernetes.project-planton.org/owner-name"].as_str()?
    ))
}

fn singular_kind(plural: &str) -> String {
    match plural {
        "kubernetesdaemonsets" => "KubernetesDaemonSet".into(),
        "daemonsets" => "DaemonSet".into(),
        "leases" => "Lease".into(),
        other => other.trim_end_matches('s').to_owned(),
    }
}

/// Gives every DaemonSet in the store the status its DaemonSet controller would report once
/// all pods run: `nodes` desired, updated and available, its generation observed.
pub fn settle_daemon_sets(state: &State) {
    let mut inner = state.inner.lock().expect("lock");
    let resource = ("apps".to_owned(), "daemonsets".to_owned());
    let Some(all) = inner.objects.get(&resource).cloned() else {
        return;
    };
    for ((ns, name), mut ds) in all {
        let n = state.nodes;
        let settled = json!({"currentNumberScheduled": n, "desiredNumberScheduled": n,
            "numberMisscheduled": 0, "numberReady": n, "numberAvailable": n,
            "updatedNumberScheduled": n, "observedGeneration": ds["metadata"]["generation"]});
        if ds["status"] == settled {
            continue;
        }
        ds["status"] = settled;
        let t = Target {
            group: "apps".into(),
            version: "v1".into(),
            plural: "daemonsets".into(),
            namespace: Some(ns),
            name: Some(name.clone()),
            subresource: None,
        };
        inner.store(&t, &name, &mut ds, false);
    }
    drop(inner);
    state.changed.notify_waiters();
}
