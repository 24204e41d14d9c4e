//! The controller's reconcile against a mocked API server that replays what a real
//! kube-apiserver v1.36 answered (`tests/fixtures/apiserver-recordings/`, explained in
//! `shared/reference/apiserver-controller-contract.md`).
//!
//! The scenario is the recorded one: KubernetesDaemonSet `kds-rec/node-agent` (created by
//! kubectl without the webhook, [14]) with `create_namespace`, a ServiceAccount, a config map,
//! an env secret and namespace + cluster RBAC rules, deployed into its own namespace.

mod apiserver;

use std::sync::Arc;
use std::time::Duration;

use apiserver::{Call, Recording, Server, client, deleted, metadata_of, not_found, recording};
use kds_webhook::KubernetesDaemonSet;
use kds_webhook::controller::metrics::ControllerMetrics;
use kds_webhook::controller::reconcile::{Context, Error, error_policy, reconcile};
use kds_webhook::controller::scope::{DEFAULT_PROTECTED, Scope};
use kds_webhook::naming::{OWNER_ANNOTATION, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL};
use kube::runtime::controller::Action;
use kube::runtime::events::{Recorder, Reporter};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

const CR: &str =
    "/apis/kubernetes.project-planton.org/v1/namespaces/kds-rec/kubernetesdaemonsets/node-agent";
const CR_UID: &str = "90967151-47f3-48b7-a362-fb5736be7084";

/// The children in apply order, by the number of the recording that applied each.
const APPLY_ORDER: [u32; 9] = [1, 3, 4, 2, 5, 6, 7, 8, 9];
/// Those the garbage collector can follow: namespaced, in the owner's namespace.
const OWNED: [u32; 6] = [3, 4, 2, 5, 6, 9];

/// Scope for the scenario: the defaults, with cluster RBAC opened for `kds-rec` (the recorded
/// object has cluster rules, which the default scope refuses).
fn scope() -> Scope {
    let all = ["*".to_owned()];
    let protected: Vec<String> = DEFAULT_PROTECTED.iter().map(|s| (*s).to_owned()).collect();
    Scope::new(&all, &protected, &all, &["kds-rec".to_owned()]).expect("scope")
}

fn context(client: kube::Client, scope: Scope) -> Arc<Context> {
    let (_tx, policy) = tokio::sync::watch::channel(None);
    Arc::new(Context::new(
        client,
        policy,
        scope,
        Duration::from_secs(300),
        Arc::new(ControllerMetrics::new()),
        None,
    ))
}

/// The custom resource as created [14], with the finalizer kube-runtime adds [19].
fn stored() -> Value {
    let mut cr = recording(14).body();
    cr["metadata"]["finalizers"] = recording(19).body()["metadata"]["finalizers"].clone();
    cr
}

fn kds(cr: &Value) -> Arc<KubernetesDaemonSet> {
    Arc::new(serde_json::from_value(cr.clone()).expect("the recorded CR decodes"))
}

fn start(kds: Arc<KubernetesDaemonSet>, ctx: &Arc<Context>) -> JoinHandle<Result<Action, Error>> {
    tokio::spawn(reconcile(kds, ctx.clone()))
}

/// The object's labels and annotations without our marks, and without ownerReferences: what
/// `kds-webhook render` printed when the recordings were made.
fn strip_marks(mut body: Value) -> Value {
    let meta = body["metadata"].as_object_mut().expect("metadata");
    for key in ["labels", "annotations"] {
        if let Some(map) = meta.get_mut(key).and_then(Value::as_object_mut) {
            map.remove(OWNER_NAME_LABEL);
            map.remove(OWNER_NAMESPACE_LABEL);
            map.remove(OWNER_ANNOTATION);
            if map.is_empty() {
                meta.remove(key);
            }
        }
    }
    meta.remove("ownerReferences");
    body
}

/// A recorded object as ours: with our ownership labels.
fn ours(mut object: Value) -> Value {
    let labels = object["metadata"]
        .as_object_mut()
        .expect("metadata")
        .entry("labels")
        .or_insert_with(|| json!({}));
    labels[OWNER_NAME_LABEL] = json!("node-agent");
    labels[OWNER_NAMESPACE_LABEL] = json!("kds-rec");
    object
}

fn plural_and_group(path: &str) -> (String, String) {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let group = if parts[0] == "api" { "" } else { parts[1] };
    (parts[parts.len() - 2].to_owned(), group.to_owned())
}

fn name_of(path: &str) -> String {
    path.rsplit('/').next().expect("a name").to_owned()
}

/// Answers a metadata GET of the child applied by recording `n` with "absent".
async fn absent(server: &mut Server, n: u32) {
    let r = recording(n);
    let path = r.request["path"].as_str().expect("path");
    let call = server.next().await.expect("GET", path, &[]);
    assert!(
        call.accept
            .as_deref()
            .is_some_and(|a| a.contains("PartialObjectMetadata")),
        "a metadata-only GET: {:?}",
        call.accept
    );
    let (plural, group) = plural_and_group(path);
    call.reply(404, &not_found(&plural, &group, &name_of(path)));
}

/// Answers a metadata GET of the child applied by recording `n` with the recorded object,
/// marked as ours.
async fn present(server: &mut Server, n: u32, object: &Value) {
    let r = recording(n);
    let path = r.request["path"].as_str().expect("path");
    server
        .next()
        .await
        .expect("GET", path, &[])
        .reply(200, &metadata_of(object));
}

/// Takes a status apply, checks it and answers as the server does (the object, with the new
/// status, [17]); returns the status sent.
async fn status_write(server: &mut Server, cr: &Value) -> Value {
    let call = server.next().await.expect_recorded(&recording(17));
    assert_eq!(call.path, format!("{CR}/status"));
    assert_eq!(call.body["apiVersion"], "kubernetes.project-planton.org/v1");
    assert_eq!(call.body["kind"], "KubernetesDaemonSet");
    assert!(
        call.body.get("metadata").is_none(),
        "no metadata, as recorded"
    );
    let status = call.body["status"].clone();
    let mut answer = cr.clone();
    answer["status"] = status.clone();
    call.reply(200, &answer);
    status
}

/// Takes the apply of the child recorded in `n`, checks query, content type, body and
/// ownerReference, and answers with `response` (the recorded one by default).
async fn applied(server: &mut Server, n: u32, response: Option<&Recording>) -> Value {
    let r = recording(n);
    let call: Call = server.next().await.expect_recorded(&r);
    let sent = call.body.clone();
    assert_eq!(
        strip_marks(sent.clone()),
        r.request["body"],
        "the body of recording {n}, plus our marks"
    );
    let meta = &sent["metadata"];
    assert_eq!(meta["labels"][OWNER_NAME_LABEL], "node-agent");
    assert_eq!(meta["labels"][OWNER_NAMESPACE_LABEL], "kds-rec");
    assert_eq!(meta["annotations"][OWNER_ANNOTATION], "kds-rec/node-agent");
    if OWNED.contains(&n) {
        assert_eq!(meta["ownerReferences"][0]["uid"], CR_UID, "recording {n}");
        assert_eq!(meta["ownerReferences"][0]["controller"], true);
    } else {
        assert!(
            meta.get("ownerReferences").is_none(),
            "recording {n}: {meta}"
        );
    }
    call.reply_recorded(response.unwrap_or(&r));
    sent
}

fn condition<'a>(status: &'a Value, type_: &str) -> &'a Value {
    status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .unwrap_or_else(|| panic!("no {type_} condition in {status}"))
}

/// Runs the first reconcile of the stored object: every child absent, then created. Returns
/// the final status.
async fn first_reconcile(server: &mut Server, ctx: &Arc<Context>, cr: &Value) -> Value {
    let task = start(kds(cr), ctx);
    for n in APPLY_ORDER {
        absent(server, n).await;
    }
    // The inventory is recorded before anything is created.
    let intent = status_write(server, cr).await;
    assert_eq!(
        intent["inventory"].as_array().map(Vec::len),
        Some(9),
        "{intent}"
    );
    assert!(intent.get("conditions").is_none(), "{intent}");
    for n in APPLY_ORDER {
        applied(server, n, None).await;
    }
    let mut cr_with_intent = cr.clone();
    cr_with_intent["status"] = intent;
    let status = status_write(server, &cr_with_intent).await;
    let action = task.await.expect("joins").expect("reconciles");
    assert_eq!(
        action,
        Action::requeue(Duration::from_secs(30)),
        "rolling out"
    );
    status
}

#[tokio::test]
async fn a_new_object_first_gets_the_finalizer() {
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let cr = recording(14).body();
    let task = start(kds(&cr), &ctx);
    let r = recording(19);
    let call = server.next().await.expect_recorded(&r);
    assert_eq!(
        call.body, r.request["body"],
        "kube-runtime's first finalizer add"
    );
    call.reply_recorded(&r);
    let action = task.await.expect("joins").expect("reconciles");
    assert_eq!(
        action,
        Action::await_change(),
        "the patch triggers the next reconcile"
    );
    server.expect_silence(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn first_reconcile_applies_every_child_in_order_and_reports_status() {
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let cr = stored();
    let status = first_reconcile(&mut server, &ctx, &cr).await;

    assert_eq!(status["observedGeneration"], 1);
    assert_eq!(status["targetNamespace"], "kds-rec");
    assert_eq!(status["desiredNumberScheduled"], 0);
    // No DaemonSet controller ran where this was recorded: generation 1 is never observed.
    assert_eq!(condition(&status, "Ready")["status"], "False");
    assert_eq!(condition(&status, "Ready")["reason"], "RollingOut");
    assert_eq!(condition(&status, "Reconciling")["status"], "True");
    assert_eq!(condition(&status, "Stalled")["status"], "False");
    let time = condition(&status, "Ready")["lastTransitionTime"]
        .as_str()
        .expect("a time");
    assert!(
        time.ends_with('Z') && time.len() == 20,
        "RFC 3339 seconds: {time}"
    );
    let inventory = status["inventory"].as_array().expect("inventory");
    assert_eq!(inventory.len(), 9);
    assert!(inventory.contains(&json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "name": "kds:kds-rec:node-agent"
    })));
    assert_eq!(status["outputs"]["daemonset_name"], "node-agent");

    let metrics = ctx.metrics.encode();
    assert!(
        metrics.contains("kds_controller_reconciles_total{result=\"applied\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kds_controller_writes_total{kind=\"DaemonSet\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kds_controller_applies_total{kind=\"ConfigMap\"} 1"),
        "{metrics}"
    );
}

/// The objects as the server holds them after the first reconcile, marked as ours.
fn live(n: u32) -> Value {
    ours(recording(n).body())
}

#[tokio::test]
async fn a_reconcile_that_finds_everything_as_declared_writes_nothing() {
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let mut cr = stored();
    cr["status"] = first_reconcile(&mut server, &ctx, &cr).await;

    let task = start(kds(&cr), &ctx);
    for n in APPLY_ORDER {
        present(&mut server, n, &live(n)).await;
    }
    // No inventory write: nothing new. The applies are answered as no-ops (same
    // resourceVersion); the DaemonSet's is the recorded no-op [10].
    for n in APPLY_ORDER {
        let response = (n == 9).then(|| recording(10));
        applied(&mut server, n, response.as_ref()).await;
    }
    task.await.expect("joins").expect("reconciles");
    server.expect_silence(Duration::from_millis(100)).await;
    let metrics = ctx.metrics.encode();
    assert!(
        metrics.contains("kds_controller_writes_total{kind=\"DaemonSet\"} 1"),
        "only the first: {metrics}"
    );
    assert!(
        metrics.contains("kds_controller_reconciles_total{result=\"applied\"} 2"),
        "{metrics}"
    );
}

/// The status the first reconcile leaves, on the stored object.
async fn after_first(server: &mut Server, ctx: &Arc<Context>) -> Value {
    let mut cr = stored();
    cr["status"] = first_reconcile(server, ctx, &cr).await;
    cr
}

#[tokio::test]
async fn a_spec_change_is_applied_and_counted_as_a_write() {
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let mut cr = after_first(&mut server, &ctx).await;
    // kubectl applied a new image [19]: generation 2, tag v1.9.0.
    let changed = recording(19).body();
    cr["spec"] = changed["spec"].clone();
    cr["metadata"]["generation"] = changed["metadata"]["generation"].clone();

    let task = start(kds(&cr), &ctx);
    for n in APPLY_ORDER {
        present(&mut server, n, &live(n)).await;
    }
    for n in &APPLY_ORDER[..8] {
        applied(&mut server, *n, None).await;
    }
    // The DaemonSet: the recorded change [15] (the new image, with our ownerReference).
    let r = recording(15);
    let call = server.next().await.expect_recorded(&r);
    assert_eq!(
        strip_marks(call.body.clone()),
        strip_marks(r.request["body"].clone())
    );
    assert_eq!(
        call.body["metadata"]["ownerReferences"], r.request["body"]["metadata"]["ownerReferences"],
        "the recorded reference, exactly"
    );
    call.reply_recorded(&r);
    let status = status_write(&mut server, &cr).await;
    task.await.expect("joins").expect("reconciles");
    assert_eq!(status["observedGeneration"], 2);
    assert_eq!(
        condition(&status, "Ready")["message"],
        "waiting for the DaemonSet controller to observe generation 2 of DaemonSet \"node-agent\""
    );
    let metrics = ctx.metrics.encode();
    assert!(
        metrics.contains("kds_controller_writes_total{kind=\"DaemonSet\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kds_controller_writes_total{kind=\"ConfigMap\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn what_the_spec_no_longer_produces_is_pruned_if_still_ours() {
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let mut cr = after_first(&mut server, &ctx).await;
    // No config map and no namespace rules any more (the mount goes with the config map).
    cr["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("config_maps");
    cr["spec"]["container"]["app"]
        .as_object_mut()
        .expect("app")
        .remove("volume_mounts");
    cr["spec"]["rbac"]
        .as_object_mut()
        .expect("rbac")
        .remove("namespace_rules");
    cr["metadata"]["generation"] = json!(2);

    let task = start(kds(&cr), &ctx);
    let kept = [1, 3, 4, 7, 8, 9];
    for n in kept {
        present(&mut server, n, &live(n)).await;
    }
    for n in kept {
        let r = recording(n);
        let call = server.next().await.expect_recorded(&r);
        call.reply_recorded(&r);
    }
    // Reverse apply order: the RoleBinding, then the Role, then the ConfigMap. The Role lost
    // its ownership labels by hand since: it is left alone.
    let rb = "/apis/rbac.authorization.k8s.io/v1/namespaces/kds-rec/rolebindings/node-agent";
    server
        .next()
        .await
        .expect("GET", rb, &[])
        .reply(200, &metadata_of(&live(6)));
    server.next().await.expect("DELETE", rb, &[]).reply(
        200,
        &deleted("rolebindings", "rbac.authorization.k8s.io", "node-agent"),
    );
    let role = "/apis/rbac.authorization.k8s.io/v1/namespaces/kds-rec/roles/node-agent";
    server
        .next()
        .await
        .expect("GET", role, &[])
        .reply(200, &metadata_of(&recording(5).body()));
    let cm = "/api/v1/namespaces/kds-rec/configmaps/agent-config";
    server
        .next()
        .await
        .expect("GET", cm, &[])
        .reply(200, &metadata_of(&live(2)));
    let call = server.next().await.expect("DELETE", cm, &[]);
    assert_eq!(
        call.body["propagationPolicy"], "Background",
        "{}",
        call.body
    );
    call.reply(200, &deleted("configmaps", "", "agent-config"));

    let status = status_write(&mut server, &cr).await;
    task.await.expect("joins").expect("reconciles");
    let inventory = status["inventory"].as_array().expect("inventory");
    assert_eq!(inventory.len(), 6, "{inventory:?}");
    assert!(
        !inventory
            .iter()
            .any(|e| e["kind"] == "ConfigMap" || e["kind"] == "Role")
    );
    let metrics = ctx.metrics.encode();
    assert!(
        metrics.contains("kds_controller_prunes_total{kind=\"ConfigMap\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kds_controller_prunes_total{kind=\"RoleBinding\"} 1"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("kds_controller_prunes_total{kind=\"Role\"}"),
        "{metrics}"
    );
}

/// The object as the recorded DELETE [21] left it: deletionTimestamp set, finalizers kept,
/// generation 3. Only ours here (the second finalizer of that experiment is not part of this
/// scenario).
fn mark_deleted(cr: &mut Value) {
    let deleting = recording(21).body();
    for key in [
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        cr["metadata"][key] = deleting["metadata"][key].clone();
    }
}

#[tokio::test]
async fn delete_removes_what_garbage_collection_cannot_then_the_finalizer() {
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let mut cr = after_first(&mut server, &ctx).await;
    mark_deleted(&mut cr);

    let task = start(kds(&cr), &ctx);
    // Everything but the Namespace, in reverse apply order.
    for n in [9, 8, 7, 6, 5, 2, 4, 3] {
        let r = recording(n);
        let path = r.request["path"].as_str().expect("path");
        server
            .next()
            .await
            .expect("GET", path, &[])
            .reply(200, &metadata_of(&live(n)));
        let (plural, group) = plural_and_group(path);
        server
            .next()
            .await
            .expect("DELETE", path, &[])
            .reply(200, &deleted(&plural, &group, &name_of(path)));
    }
    // kube-runtime removes the finalizer with a guarded JSON patch [23].
    let r = recording(23);
    let call = server.next().await.expect("PATCH", CR, &[]);
    assert_eq!(call.body, r.request["body"]);
    call.reply_recorded(&r);
    let action = task.await.expect("joins").expect("reconciles");
    assert_eq!(action, Action::await_change());
    let metrics = ctx.metrics.encode();
    assert!(
        metrics.contains("kds_controller_reconciles_total{result=\"deleted\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kds_controller_prunes_total{kind=\"ClusterRole\"} 1"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("kds_controller_prunes_total{kind=\"Namespace\"}"),
        "never deleted: {metrics}"
    );
}

/// Runs a reconcile whose ownership check finds `foreign` at the DaemonSet's place; returns the
/// stalled status written. Nothing may be applied.
async fn stalled_by(foreign: Value) -> (Value, Arc<Context>) {
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let cr = stored();
    let task = start(kds(&cr), &ctx);
    for n in &APPLY_ORDER[..8] {
        absent(&mut server, *n).await;
    }
    present(&mut server, 9, &foreign).await;
    let status = status_write(&mut server, &cr).await;
    let action = task.await.expect("joins").expect("a stall is no error");
    assert_eq!(action, Action::requeue(Duration::from_secs(300)));
    server.expect_silence(Duration::from_millis(50)).await;
    (status, ctx)
}

#[tokio::test]
async fn an_existing_object_it_did_not_create_is_never_taken_over() {
    // The DaemonSet as someone else created it: no ownership labels.
    let (status, ctx) = stalled_by(recording(9).body()).await;
    let stalled = condition(&status, "Stalled");
    assert_eq!(stalled["status"], "True");
    assert_eq!(stalled["reason"], "OwnershipConflict");
    let message = stalled["message"].as_str().expect("message");
    assert!(
        message.starts_with("DaemonSet kds-rec/node-agent already exists"),
        "{message}"
    );
    assert!(message.contains(OWNER_NAME_LABEL), "{message}");
    assert_eq!(condition(&status, "Ready")["status"], "False");
    assert!(
        status.get("inventory").is_none(),
        "nothing applied: {status}"
    );
    let metrics = ctx.metrics.encode();
    assert!(
        !metrics.contains("kds_controller_applies_total{"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kds_controller_reconciles_total{result=\"stalled\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn two_objects_producing_one_daemon_set_do_not_fight() {
    // Another KubernetesDaemonSet `team-b/node-agent` targeting kds-rec already owns it.
    let mut other = recording(9).body();
    other["metadata"]["labels"][OWNER_NAME_LABEL] = json!("node-agent");
    other["metadata"]["labels"][OWNER_NAMESPACE_LABEL] = json!("team-b");
    let (status, _) = stalled_by(other).await;
    let stalled = condition(&status, "Stalled");
    assert_eq!(stalled["reason"], "OwnershipConflict");
    assert_eq!(
        stalled["message"],
        "DaemonSet kds-rec/node-agent belongs to KubernetesDaemonSet team-b/node-agent: two \
         KubernetesDaemonSets cannot produce the same object; rename this one or change its \
         spec.namespace"
    );
}

#[tokio::test]
async fn an_invalid_object_is_not_applied_and_says_why() {
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let mut cr = stored();
    cr["spec"]["container"]["app"]["ports"][0]["container_port"] = json!(70000);
    let task = start(kds(&cr), &ctx);
    let status = status_write(&mut server, &cr).await;
    task.await.expect("joins").expect("a stall is no error");
    server.expect_silence(Duration::from_millis(50)).await;
    let stalled = condition(&status, "Stalled");
    assert_eq!(stalled["reason"], "Invalid");
    let message = stalled["message"].as_str().expect("message");
    assert!(
        message.contains(
            "spec.container.app.ports[0].container_port: Invalid value: 70000: must be between 1 and 65535, inclusive"
        ),
        "the words validate prints: {message}"
    );
    assert_eq!(status["observedGeneration"], 1);
}

#[tokio::test]
async fn an_object_outside_the_scope_is_stalled_naming_the_setting() {
    let (client, mut server) = client();
    let ctx = context(client, Scope::default());
    let cr = stored();
    let task = start(kds(&cr), &ctx);
    let status = status_write(&mut server, &cr).await;
    task.await.expect("joins").expect("a stall is no error");
    let stalled = condition(&status, "Stalled");
    assert_eq!(stalled["reason"], "OutOfScope");
    assert!(
        stalled["message"]
            .as_str()
            .is_some_and(|m| m.contains("--allow-cluster-rbac")),
        "{stalled}"
    );
}

/// A first reconcile whose DaemonSet apply is answered `status`/`body`: the error reaches the
/// backoff, the failure is recorded in status, and the next reconcile completes.
async fn failing_apply_then_retry(status: u16, body: Value) {
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let cr = stored();
    let task = start(kds(&cr), &ctx);
    for n in APPLY_ORDER {
        absent(&mut server, n).await;
    }
    let intent = status_write(&mut server, &cr).await;
    for n in &APPLY_ORDER[..8] {
        applied(&mut server, *n, None).await;
    }
    let r = recording(9);
    server.next().await.expect_recorded(&r).reply(status, &body);
    let mut cr_failed = cr.clone();
    cr_failed["status"] = intent.clone();
    let failed = status_write(&mut server, &cr_failed).await;
    let error = task.await.expect("joins").expect_err("retried");
    assert!(matches!(error, Error::Kube(_)), "{error}");
    assert_eq!(
        condition(&failed, "Reconciling")["reason"],
        "RetryingAfterError"
    );
    assert_eq!(failed["inventory"], intent["inventory"], "no state lost");
    let action = error_policy(kds(&cr), &error, ctx.clone());
    assert_eq!(action, Action::requeue(Duration::from_secs(1)));
    assert_eq!(
        error_policy(kds(&cr), &error, ctx.clone()),
        Action::requeue(Duration::from_secs(2)),
        "backoff doubles"
    );

    // The retry: the eight applied children are ours now; the DaemonSet is still absent.
    cr_failed["status"] = failed;
    let task = start(kds(&cr_failed), &ctx);
    for n in &APPLY_ORDER[..8] {
        present(&mut server, *n, &live(*n)).await;
    }
    absent(&mut server, 9).await;
    for n in APPLY_ORDER {
        applied(&mut server, n, None).await;
    }
    let done = status_write(&mut server, &cr_failed).await;
    task.await.expect("joins").expect("reconciles");
    assert_eq!(condition(&done, "Reconciling")["reason"], "RollingOut");
    assert_eq!(done["inventory"].as_array().map(Vec::len), Some(9));
}

#[tokio::test]
async fn a_conflict_on_apply_is_retried_without_losing_state() {
    let r = recording(12);
    failing_apply_then_retry(r.status(), r.body()).await;
}

#[tokio::test]
async fn a_server_error_on_apply_is_retried_without_losing_state() {
    // The recorded 500 of a status apply with undeclared fields [16], the server's only 5xx.
    let r = recording(16);
    failing_apply_then_retry(r.status(), r.body()).await;
}

#[tokio::test]
async fn a_refused_apply_stalls_with_the_servers_words() {
    // The recorded RBAC escalation refusal [34], as if the controller lacked `escalate`.
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let cr = stored();
    let task = start(kds(&cr), &ctx);
    for n in APPLY_ORDER {
        absent(&mut server, n).await;
    }
    status_write(&mut server, &cr).await;
    for n in [1, 3, 4, 2] {
        applied(&mut server, n, None).await;
    }
    let role = recording(5);
    let refusal = recording(34);
    server
        .next()
        .await
        .expect_recorded(&role)
        .reply(refusal.status(), &refusal.body());
    let status = status_write(&mut server, &cr).await;
    task.await.expect("joins").expect("a stall is no error");
    let stalled = condition(&status, "Stalled");
    assert_eq!(stalled["reason"], "ApplyRejected");
    let message = stalled["message"].as_str().expect("message");
    assert!(
        message.starts_with("the API server refused Role kds-rec/node-agent: "),
        "{message}"
    );
    assert!(message.contains("is attempting to grant RBAC permissions not currently held"));
}

#[tokio::test]
async fn events_tell_the_user_what_was_applied() {
    let (client, mut server) = client();
    let (_tx, policy) = tokio::sync::watch::channel(None);
    let recorder = Recorder::new(
        client.clone(),
        Reporter {
            controller: "kds-controller".into(),
            instance: Some("kds-webhook-controller-6d5f7c9b8-x2k4q".into()),
        },
    );
    let ctx = Arc::new(Context::new(
        client,
        policy,
        scope(),
        Duration::from_secs(300),
        Arc::new(ControllerMetrics::new()),
        Some(recorder),
    ));
    let cr = stored();
    let task = start(kds(&cr), &ctx);
    for n in APPLY_ORDER {
        absent(&mut server, n).await;
    }
    let intent = status_write(&mut server, &cr).await;
    for n in APPLY_ORDER {
        applied(&mut server, n, None).await;
    }
    let mut with_intent = cr.clone();
    with_intent["status"] = intent;
    status_write(&mut server, &with_intent).await;
    let call = server.next().await.expect(
        "POST",
        "/apis/events.k8s.io/v1/namespaces/kds-rec/events",
        &[],
    );
    let event = call.body.clone();
    call.reply(201, &event);
    task.await.expect("joins").expect("reconciles");
    assert_eq!(event["reason"], "Applied");
    assert_eq!(event["type"], "Normal");
    assert_eq!(event["reportingController"], "kds-controller");
    assert_eq!(
        event["reportingInstance"],
        "kds-webhook-controller-6d5f7c9b8-x2k4q"
    );
    assert_eq!(event["regarding"]["uid"], CR_UID);
    let time = event["eventTime"].as_str().expect("eventTime");
    // MicroTime: exactly six fractional digits, or the server answers 400 (§10).
    let fraction = time.split('.').nth(1).expect("a fraction");
    assert_eq!(fraction.len(), 7, "six digits and Z: {time}");
    let note = event["note"].as_str().expect("note");
    assert!(
        note.starts_with("Namespace kds-rec, ServiceAccount kds-rec/node-agent"),
        "{note}"
    );
    assert!(note.contains("DaemonSet kds-rec/node-agent"), "{note}");
}

mod running;

#[tokio::test]
async fn delete_with_cascade_orphan_keeps_every_child() {
    let (client, mut server) = client();
    let ctx = context(client, scope());
    let mut cr = after_first(&mut server, &ctx).await;
    mark_deleted(&mut cr);
    // `kubectl delete --cascade=orphan` adds the orphan finalizer after ours.
    cr["metadata"]["finalizers"] = json!(["kubernetes.project-planton.org/cleanup", "orphan"]);
    let task = start(kds(&cr), &ctx);
    // No GET, no DELETE: straight to removing our finalizer (index 0).
    let call = server.next().await.expect("PATCH", CR, &[]);
    assert_eq!(call.body, recording(23).request["body"], "{}", call.body);
    call.reply_recorded(&recording(23));
    task.await.expect("joins").expect("reconciles");
    assert!(
        !ctx.metrics
            .encode()
            .contains("kds_controller_prunes_total{")
    );
}
