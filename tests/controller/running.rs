//! The running controller (`controller::run`) end to end against the fake API server of
//! `examples/fake_apiserver/`: watches trigger reconciles, leader election gates them, drift
//! is put back, delete cleans up, SIGTERM-style shutdown releases the Lease.
//!
//! The fake answers in the recorded shapes but is a simplification of a real server; what
//! each request and answer look like is tested against the recordings in `main.rs`.

use std::sync::Arc;
use std::time::Duration;

use kds_webhook::controller::leader::LeaseSettings;
use kds_webhook::controller::run::{Settings, run};
use kds_webhook::controller::scope::Scope;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

#[path = "../../examples/fake_apiserver/api.rs"]
#[allow(dead_code)]
mod api;
#[path = "../../examples/fake_apiserver/http.rs"]
#[allow(dead_code)]
mod http;

const KDS: &str = "/apis/kubernetes.project-planton.org/v1/namespaces/default/kubernetesdaemonsets";
const DS: &str = "/apis/apps/v1/namespaces/logging/daemonsets/fluentd-logger";
const LEASE: &str = "/apis/coordination.k8s.io/v1/namespaces/kds-system/leases/kds-controller";

async fn fake() -> (Arc<api::State>, kube::Client) {
    let state = Arc::new(api::State::new(2));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(http::serve(listener, state.clone()));
    let config = kube::Config::new(url.parse().expect("a url"));
    (state, kube::Client::try_from(config).expect("a client"))
}

/// Polls `f` every 20 ms for up to 10 s.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

fn ready(state: &api::State) -> bool {
    state
        .get(&format!("{KDS}/fluentd-logger"))
        .and_then(|o| o["status"]["conditions"].as_array().cloned())
        .is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

fn image(state: &api::State) -> Option<Value> {
    state
        .get(DS)
        .map(|d| d["spec"]["template"]["spec"]["containers"][0]["image"].clone())
}

#[tokio::test]
async fn the_seed_runs_stays_as_declared_and_is_cleaned_up() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("kds_webhook=debug")
        .try_init();
    let (state, client) = fake().await;
    let shutdown = CancellationToken::new();
    let settings = Settings {
        admin_addr: "127.0.0.1:0".into(),
        leader_election: Some(LeaseSettings::new(
            "kds-system",
            "kds-controller",
            "replica-a",
        )),
        identity: "replica-a".into(),
        policy: None,
        reload_interval: Duration::from_secs(3),
        concurrency: 4,
        requeue: Duration::from_secs(300),
        scope: Scope::default(),
    };
    let controller = tokio::spawn(run(settings, client, shutdown.clone()));

    // The seed example exactly as written, applied to `default` by kubectl.
    let seed: Value = serde_json::to_value(
        kds_webhook::manifest::load(include_str!("../../examples/fluentd-logger.yaml"))
            .expect("parses")
            .remove(0)
            .decoded
            .expect("decodes"),
    )
    .expect("json");
    state.put(KDS, seed);

    eventually("the DaemonSet", || state.get(DS).is_some()).await;
    assert!(
        state.get("/api/v1/namespaces/logging").is_some(),
        "the Namespace first"
    );
    let lease = state.get(LEASE).expect("the Lease");
    assert_eq!(lease["spec"]["holderIdentity"], "replica-a");
    // The DaemonSet controller reports every pod available: Ready.
    api::settle_daemon_sets(&state);
    eventually("Ready=True", || ready(&state)).await;
    let status = state.get(&format!("{KDS}/fluentd-logger")).expect("kds")["status"].clone();
    assert_eq!(status["numberAvailable"], 2);
    assert_eq!(status["targetNamespace"], "logging");

    // Drift: an image edited by hand is put back; a deleted DaemonSet is re-created.
    let mut edited = state.get(DS).expect("ds");
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = "evil:latest".into();
    state.put("/apis/apps/v1/namespaces/logging/daemonsets", edited);
    eventually("the image restored", || {
        image(&state)
            .is_some_and(|i| i == "fluent/fluentd-kubernetes-daemonset:v1.16-debian-elasticsearch8")
    })
    .await;
    state.remove(DS);
    eventually("the DaemonSet re-created", || state.get(DS).is_some()).await;

    // Delete: the finalizer holds the object until its children are gone; the Namespace stays.
    let _ = state.handle(
        "DELETE",
        &format!("{KDS}/fluentd-logger"),
        &Default::default(),
        "",
        "",
        None,
    );
    eventually("the KubernetesDaemonSet gone", || {
        state.get(&format!("{KDS}/fluentd-logger")).is_none()
    })
    .await;
    assert!(state.get(DS).is_none(), "the DaemonSet deleted");
    assert!(
        state.get("/api/v1/namespaces/logging").is_some(),
        "namespaces are never deleted"
    );

    // Shutdown drains and releases the Lease for the next leader.
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), controller)
        .await
        .expect("stops within 10 s")
        .expect("joins")
        .expect("runs cleanly");
    let lease = state.get(LEASE).expect("the Lease");
    assert_ne!(
        lease["spec"]["holderIdentity"], "replica-a",
        "released: {lease}"
    );
}
