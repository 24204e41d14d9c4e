//! The running controller: the cluster connection, leader election, kube-runtime's
//! `Controller` with its watches, the policy reload, the admin port, and one shutdown signal
//! for all of it.
//!
//! Only the leader reconciles. Losing the lease drops the controller at once (in-flight
//! reconciles are abandoned, not finished: another replica now owns the objects); SIGTERM
//! instead drains in-flight reconciles, then releases the lease so that a standby takes over
//! immediately rather than after the lease expires.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Api, ListParams, PartialObjectMeta};
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::api::KubernetesDaemonSet;
use crate::naming::{CONTROLLER_FIELD_MANAGER, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL};
use crate::policy::Policy;
use crate::server::admin::{self, Readiness};
use crate::server::reload::Reloader;

use super::children::OwnerKey;
use super::leader::{LeaderElector, LeaseSettings};
use super::metrics::ControllerMetrics;
use super::reconcile::{Context, error_policy, reconcile};
use super::scope::Scope;

/// How often the `kds_controller_objects` gauge is refreshed from the cache.
const OBJECTS_GAUGE_INTERVAL: Duration = Duration::from_secs(10);

/// Everything `kds-webhook controller` was told.
#[derive(Debug)]
pub struct Settings {
    /// Admin listen address (`/livez`, `/readyz`, `/metrics`).
    pub admin_addr: String,
    /// The Lease to hold; `None` runs without leader election (one replica only).
    pub leader_election: Option<LeaseSettings>,
    /// This replica's name in the Lease and in events.
    pub identity: String,
    /// The policy file, reloaded on change.
    pub policy: Option<PathBuf>,
    /// How often the policy file is checked for changes.
    pub reload_interval: Duration,
    /// Reconciles at once.
    pub concurrency: u16,
    /// How often a settled object is reconciled again.
    pub requeue: Duration,
    /// The administrator's limits.
    pub scope: Scope,
}

/// Connects as kubectl does (in-cluster, else `KUBECONFIG` or `~/.kube/config`) and runs until
/// SIGTERM or SIGINT.
pub async fn run_until_signal(settings: Settings) -> anyhow::Result<()> {
    let client = Client::try_default().await.context(
        "no cluster connection: run in a pod with a ServiceAccount token, or set KUBECONFIG \
         (or ~/.kube/config) to a cluster",
    )?;
    let shutdown = CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        match crate::server::shutdown::signal().await {
            Ok(name) => info!(signal = name, "Shutting down: draining reconciles"),
            Err(e) => warn!(error = %e, "Cannot listen for signals; stopping"),
        }
        signal.cancel();
    });
    run(settings, client, shutdown).await
}

/// Runs until `shutdown` with `client`.
pub async fn run(
    settings: Settings,
    client: Client,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let metrics = Arc::new(ControllerMetrics::new());
    let readiness = Arc::new(Readiness::default());
    let listener = TcpListener::bind(&settings.admin_addr)
        .await
        .with_context(|| format!("cannot listen on --admin-addr {}", settings.admin_addr))?;
    info!(addr = %settings.admin_addr, "Admin port listening");
    let admin_stop = CancellationToken::new();
    let admin = tokio::spawn(admin::serve(
        listener,
        metrics.clone(),
        readiness.clone(),
        admin_stop.clone(),
    ));

    check_api(&client).await?;
    let policy = policy(&settings, &shutdown)?;
    let recorder = Recorder::new(
        client.clone(),
        Reporter {
            controller: CONTROLLER_FIELD_MANAGER.to_owned(),
            instance: Some(settings.identity.clone()),
        },
    );
    let ctx = Arc::new(Context::new(
        client.clone(),
        policy,
        settings.scope.clone(),
        settings.requeue,
        metrics.clone(),
        Some(recorder),
    ));
    // Standby replicas are ready too: readiness says the process works, not that it leads.
    readiness.set_ready();

    let (leading_tx, mut leading) = watch::channel(false);
    let elector_stop = CancellationToken::new();
    let (elector, _always_leading) = match settings.leader_election {
        Some(lease) => {
            info!(lease = %format!("{}/{}", lease.namespace, lease.name), identity = %lease.identity,
                "Waiting for the leader Lease");
            let run =
                LeaderElector::new(client.clone(), lease).run(leading_tx, elector_stop.clone());
            (Some(tokio::spawn(run)), None)
        }
        None => {
            info!("Leader election is off: this replica reconciles");
            leading_tx.send_replace(true);
            (None, Some(leading_tx))
        }
    };

    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            r = leading.wait_for(|l| *l) => if r.is_err() { break },
        }
        metrics.leader.set(1);
        ctx.new_term();
        info!("Leading: reconciling every KubernetesDaemonSet");
        let controller = controller(ctx.clone(), settings.concurrency, shutdown.clone());
        let lost = tokio::select! {
            () = controller => false,
            _ = leading.wait_for(|l| !*l) => true,
        };
        metrics.leader.set(0);
        if lost {
            warn!("Lost the leader Lease: stopped reconciling at once");
        }
        if shutdown.is_cancelled() {
            break;
        }
    }
    readiness.set_draining();
    elector_stop.cancel();
    if let Some(elector) = elector {
        let _ = elector.await;
    }
    admin_stop.cancel();
    let _ = admin.await;
    info!("Stopped");
    Ok(())
}

/// Fails start-up with a clear message when the CRD is missing or the ServiceAccount may not
/// list the objects (the controller would otherwise only log watch errors forever).
async fn check_api(client: &Client) -> anyhow::Result<()> {
    let api: Api<KubernetesDaemonSet> = Api::all(client.clone());
    api.list_metadata(&ListParams::default().limit(1))
        .await
        .map(drop)
        .context(
            "cannot list kubernetesdaemonsets.kubernetes.project-planton.org: is the CRD \
             installed (kds-webhook crd | kubectl apply -f -), and may this ServiceAccount list it?",
        )
}

/// The policy in force, reloaded on change like `serve`'s.
fn policy(
    settings: &Settings,
    shutdown: &CancellationToken,
) -> anyhow::Result<watch::Receiver<Option<Arc<Policy>>>> {
    let Some(path) = settings.policy.clone() else {
        return Ok(watch::channel(None).1);
    };
    let text =
        std::fs::read(&path).with_context(|| format!("cannot read --policy {}", path.display()))?;
    let first = std::str::from_utf8(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        .and_then(|t| {
            Policy::from_yaml(t).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        })?;
    let (tx, rx) = watch::channel(Some(Arc::new(first)));
    let reloader = Reloader {
        what: "policy",
        paths: vec![path],
        interval: settings.reload_interval,
        parse: |files: &[Vec<u8>]| {
            let text = std::str::from_utf8(&files[0]).map_err(|e| e.to_string())?;
            Policy::from_yaml(text)
                .map(|p| Some(Arc::new(p)))
                .map_err(|e| e.to_string())
        },
        on_success: Box::new(|_| {}),
        on_failure: Box::new(|| {}),
    };
    tokio::spawn(reloader.run(vec![text], tx, shutdown.clone()));
    Ok(rx)
}

/// kube-runtime's controller over every KubernetesDaemonSet, triggered also by changes to any
/// child (metadata-only watches selected by the ownership labels), until `shutdown` (graceful:
/// in-flight reconciles finish) or until the returned future is dropped (at once).
fn controller(
    ctx: Arc<Context>,
    concurrency: u16,
    shutdown: CancellationToken,
) -> impl Future<Output = ()> {
    let client = ctx.client.clone();
    let main = Controller::new(
        Api::<KubernetesDaemonSet>::all(client.clone()),
        watcher::Config::default(),
    );
    let store = main.store();
    let metrics = ctx.metrics.clone();
    let gauge = async move {
        loop {
            metrics
                .objects
                .set(i64::try_from(store.state().len()).unwrap_or(i64::MAX));
            tokio::time::sleep(OBJECTS_GAUGE_INTERVAL).await;
        }
    };
    let c = main
        .watches_stream(children::<Namespace>(&client), owner_of::<Namespace>)
        .watches_stream(
            children::<ServiceAccount>(&client),
            owner_of::<ServiceAccount>,
        )
        .watches_stream(children::<Secret>(&client), owner_of::<Secret>)
        .watches_stream(children::<ConfigMap>(&client), owner_of::<ConfigMap>)
        .watches_stream(children::<Role>(&client), owner_of::<Role>)
        .watches_stream(children::<RoleBinding>(&client), owner_of::<RoleBinding>)
        .watches_stream(children::<ClusterRole>(&client), owner_of::<ClusterRole>)
        .watches_stream(
            children::<ClusterRoleBinding>(&client),
            owner_of::<ClusterRoleBinding>,
        )
        .watches_stream(children::<DaemonSet>(&client), owner_of::<DaemonSet>)
        .with_config(controller::Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown.cancelled_owned())
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            // The reconcile logs its own outcome; here only what never reached it.
            if let Err(e) = result {
                match e {
                    controller::Error::ReconcilerFailed(..) => {}
                    controller::Error::ObjectNotFound(r) => debug!(object = %r, "Gone"),
                    other => warn!(error = %other, "Controller"),
                }
            }
        });
    async move {
        tokio::select! {
            () = c => {}
            () = gauge => {}
        }
    }
}

/// Metadata-only events of every `K` carrying the ownership labels, in any namespace.
fn children<K>(
    client: &Client,
) -> impl futures::Stream<Item = Result<PartialObjectMeta<K>, watcher::Error>> + Send + 'static
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let selector = format!("{OWNER_NAME_LABEL},{OWNER_NAMESPACE_LABEL}");
    // An `Api` of `PartialObjectMeta` lists and watches metadata only.
    watcher(
        Api::<PartialObjectMeta<K>>::all(client.clone()),
        watcher::Config::default().labels(&selector),
    )
    .default_backoff()
    .touched_objects()
}

/// The KubernetesDaemonSet a child's ownership labels name.
fn owner_of<K: Resource>(child: PartialObjectMeta<K>) -> Option<ObjectRef<KubernetesDaemonSet>> {
    let owner = OwnerKey::from_labels(child.metadata.labels.as_ref())?;
    Some(ObjectRef::new(&owner.name).within(&owner.namespace))
}
