//! Start-up of the access checks: connect as kubectl does and prove the connection usable
//! with one review, or decide (and say) that the checks are off.
//!
//! | `--access-checks` | connection found and usable | none found | found but unusable |
//! | --- | --- | --- | --- |
//! | `auto`, outside a pod | on | off, logged | off, logged as a warning |
//! | `auto`, inside a pod | on | start-up error | start-up error |
//! | `on` | on | start-up error | start-up error |
//! | `off` | off, logged | off, logged | off, logged |
//!
//! Inside a pod (`KUBERNETES_SERVICE_HOST` set) the checks never switch themselves off: a
//! missing ServiceAccount token or a missing `create subjectaccessreviews` permission must
//! stop the rollout, not silently admit every object unchecked.

use std::time::{Duration, Instant};

use tracing::{info, warn};

use super::review::{AccessChecker, AccessError, UserInfo};
use super::{Permission, Plan};
use crate::config::AccessMode;

/// How long the start-up probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the access checks could not start when they must.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// No in-cluster configuration and no kubeconfig.
    #[error(
        "access checks need the API server, and no connection was found ({0}); inside a pod the \
         ServiceAccount token must be mounted; outside, set KUBECONFIG; or pass --access-checks=off"
    )]
    NoConfig(#[source] kube::config::InferConfigError),
    /// The configuration does not make a client (bad certificate, unknown auth plugin, ...).
    #[error("failed to build the API server client for access checks: {0}")]
    Client(#[source] kube::Error),
    /// The probe review failed: the API server is unreachable or refuses the webhook.
    #[error(
        "the API server does not answer the webhook's SubjectAccessReviews ({0}); the webhook's \
         ServiceAccount needs `create subjectaccessreviews` (authorization.k8s.io)"
    )]
    Unusable(#[source] AccessError),
}

/// The checker `serve` uses, or `None` when the checks are off. `in_pod` is whether
/// `KUBERNETES_SERVICE_HOST` is set.
pub async fn connect(
    mode: AccessMode,
    cache_ttl: Duration,
    in_pod: bool,
) -> Result<Option<AccessChecker>, ConnectError> {
    if mode == AccessMode::Off {
        info!("Access checks off (--access-checks=off): writers' rights are not reviewed");
        return Ok(None);
    }
    let must = mode == AccessMode::On || in_pod;
    let config = match kube::Config::infer().await {
        Ok(c) => c,
        Err(e) if !must => {
            info!(reason = %e, "Access checks off: no cluster connection (in-cluster or kubeconfig)");
            return Ok(None);
        }
        Err(e) => return Err(ConnectError::NoConfig(e)),
    };
    let url = config.cluster_url.to_string();
    let checker = kube::Client::try_from(config)
        .map_err(ConnectError::Client)
        .map(|client| AccessChecker::new(client, cache_ttl));
    let probed = match checker {
        Ok(checker) => probe(&checker).await.map(|()| checker),
        Err(e) => Err(e),
    };
    match probed {
        Ok(checker) => {
            info!(api_server = %url, cache_ttl = ?cache_ttl, "Access checks on: writers' rights are reviewed with SubjectAccessReviews");
            Ok(Some(checker))
        }
        Err(e) if !must => {
            warn!(api_server = %url, error = %e, "Access checks off: the cluster connection is not usable");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// One review of a fixed question; any answer (allowed or not) proves the connection.
pub async fn probe(checker: &AccessChecker) -> Result<(), ConnectError> {
    let user = UserInfo {
        username: "system:anonymous".to_owned(),
        groups: vec!["system:unauthenticated".to_owned()],
        ..UserInfo::default()
    };
    let plan = Plan {
        needs: vec![super::Need::Allowed {
            field: crate::validation::field::FieldPath::root("spec"),
            permission: Permission::new("create", crate::api::GROUP, "kubernetesdaemonsets")
                .in_namespace("default"),
        }],
    };
    checker
        .check(&plan, &user, Instant::now() + PROBE_TIMEOUT)
        .await
        .map(drop)
        .map_err(ConnectError::Unusable)
}
