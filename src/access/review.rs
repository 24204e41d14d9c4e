//! The IO of the access checks: SubjectAccessReviews to the API server for a request's
//! `userInfo`, answers kept briefly in a [`Cache`], and every failure (transport, a refused
//! review, a missing answer, the deadline) an error, so that the caller fails closed.
//!
//! ```text
//! Plan ──first_round──▶ cached? else POST subjectaccessreviews (at most 8 at once) ─┐
//!      ──second_round(answers)──▶ the same, for the grants still open ─────────────┤
//!      ──verdict(answers)──▶ FieldErrors                               any error ──┴▶ AccessError
//! ```

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use kube::api::{Api, PostParams};
use serde::Deserialize;
use tracing::debug;

pub use super::cache::Cache;
use super::{Permission, Plan};
use crate::validation::field::FieldErrors;

/// Default time an answer is kept.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(10);
/// Default longest wait for one review, within the request's own deadline.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// Reviews sent at once for one request.
const MAX_IN_FLIGHT: usize = 8;

/// The writer, as the API server describes it in an AdmissionRequest's `userInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(default)]
pub struct UserInfo {
    /// `username`.
    pub username: String,
    /// `uid`.
    pub uid: String,
    /// `groups`.
    pub groups: Vec<String>,
    /// `extra` (for example the ServiceAccount token's pod name and node).
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// `request.userInfo` of an AdmissionReview body. Read only when a check is needed, so
    /// that the single-pass review read stays as it is; the body was already accepted as an
    /// AdmissionReview by then.
    pub fn from_review(body: &[u8]) -> Result<Self, AccessError> {
        #[derive(Deserialize)]
        struct Review {
            request: Request,
        }
        #[derive(Deserialize)]
        struct Request {
            #[serde(rename = "userInfo", default)]
            user_info: UserInfo,
        }
        let review: Review = serde_json::from_slice(body).map_err(AccessError::UserInfo)?;
        let user = review.request.user_info;
        if user.username.is_empty() {
            return Err(AccessError::NoUser);
        }
        Ok(user)
    }
}

/// Why the writer's rights could not be checked. The review is then refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The request's `userInfo` names nobody.
    #[error("the request's userInfo has no username")]
    NoUser,
    /// The request's `userInfo` does not decode.
    #[error("failed to read the request's userInfo: {0}")]
    UserInfo(#[source] serde_json::Error),
    /// The API server answered the review with an error (403: the webhook's ServiceAccount
    /// may not create subjectaccessreviews).
    #[error("the API server refused the SubjectAccessReview: {code} {reason}: {message}")]
    Refused {
        /// HTTP status.
        code: u16,
        /// `Forbidden`, ...
        reason: String,
        /// The API server's message.
        message: String,
    },
    /// The review could not be sent or its answer not read.
    #[error("failed to send a SubjectAccessReview: {0}")]
    Send(#[source] kube::Error),
    /// The answer carries no `status`.
    #[error("the API server's SubjectAccessReview answer has no status")]
    NoStatus,
    /// No answer before the deadline.
    #[error("no SubjectAccessReview answer within {0:?}")]
    Timeout(Duration),
}

/// Asks the API server whether writers hold permissions; shared by every request.
#[derive(Clone)]
pub struct AccessChecker {
    client: kube::Client,
    cache: std::sync::Arc<Cache>,
    /// Longest wait for one review.
    pub call_timeout: Duration,
}

impl std::fmt::Debug for AccessChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessChecker")
            .field("cache_entries", &self.cache.len())
            .field("call_timeout", &self.call_timeout)
            .finish_non_exhaustive()
    }
}

impl AccessChecker {
    /// A checker sending reviews through `client`, keeping answers for `cache_ttl`.
    pub fn new(client: kube::Client, cache_ttl: Duration) -> Self {
        Self {
            client,
            cache: std::sync::Arc::new(Cache::new(cache_ttl)),
            call_timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    /// The answers held.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Checks `plan` for `user`: the causes of a denial (empty: allowed), or why it could not
    /// be checked. No answer is used after `deadline`.
    pub async fn check(
        &self,
        plan: &Plan,
        user: &UserInfo,
        deadline: Instant,
    ) -> Result<FieldErrors, AccessError> {
        let mut answers = HashMap::new();
        self.review_all(user, plan.first_round(), deadline, &mut answers)
            .await?;
        let second = plan.second_round(|p| answers.get(p).copied().unwrap_or(false));
        self.review_all(user, second, deadline, &mut answers)
            .await?;
        Ok(super::verdict(plan, &user.username, |p| {
            answers.get(p).copied().unwrap_or(false)
        }))
    }

    /// Reviews every permission not cached yet, a few at once, into `answers`.
    async fn review_all(
        &self,
        user: &UserInfo,
        permissions: Vec<Permission>,
        deadline: Instant,
        answers: &mut HashMap<Permission, bool>,
    ) -> Result<(), AccessError> {
        let now = Instant::now();
        let mut ask = Vec::new();
        for p in permissions {
            match self.cache.get(user, &p, now) {
                Some(allowed) => {
                    answers.insert(p, allowed);
                }
                None => ask.push(p),
            }
        }
        let answered: Vec<(Permission, bool)> = stream::iter(ask)
            .map(|p| async move {
                let allowed = self.review(user, &p, deadline).await?;
                Ok::<_, AccessError>((p, allowed))
            })
            .buffer_unordered(MAX_IN_FLIGHT)
            .try_collect()
            .await?;
        let now = Instant::now();
        for (p, allowed) in answered {
            self.cache.put(user, &p, allowed, now);
            answers.insert(p, allowed);
        }
        Ok(())
    }

    /// One SubjectAccessReview.
    async fn review(
        &self,
        user: &UserInfo,
        p: &Permission,
        deadline: Instant,
    ) -> Result<bool, AccessError> {
        let until = deadline.min(Instant::now() + self.call_timeout);
        let wait = until.saturating_duration_since(Instant::now());
        let api: Api<SubjectAccessReview> = Api::all(self.client.clone());
        let sar = subject_access_review(user, p);
        let answer =
            tokio::time::timeout_at(until.into(), api.create(&PostParams::default(), &sar))
                .await
                .map_err(|_| AccessError::Timeout(wait))?
                .map_err(|e| match e {
                    kube::Error::Api(s) => AccessError::Refused {
                        code: s.code,
                        reason: s.reason.clone(),
                        message: s.message.clone(),
                    },
                    e => AccessError::Send(e),
                })?;
        let status = answer.status.ok_or(AccessError::NoStatus)?;
        debug!(
            user = %user.username,
            permission = %p,
            allowed = status.allowed,
            reason = status.reason.as_deref().unwrap_or_default(),
            "Access reviewed"
        );
        Ok(status.allowed)
    }
}

/// The review of `p` for `user`.
pub fn subject_access_review(user: &UserInfo, p: &Permission) -> SubjectAccessReview {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(user.username.clone()),
            uid: opt(&user.uid),
            groups: (!user.groups.is_empty()).then(|| user.groups.clone()),
            extra: (!user.extra.is_empty()).then(|| user.extra.clone()),
            resource_attributes: Some(ResourceAttributes {
                verb: Some(p.verb.clone()),
                group: Some(p.group.clone()),
                resource: Some(p.resource.clone()),
                subresource: opt(&p.subresource),
                namespace: opt(&p.namespace),
                name: opt(&p.name),
                ..ResourceAttributes::default()
            }),
            non_resource_attributes: None,
        },
        ..SubjectAccessReview::default()
    }
}
