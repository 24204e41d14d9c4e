//! The writer's own rights: a table of writers against the objects they write, with the
//! API server's SubjectAccessReview answers mocked in the recorded shape; fail-closed on
//! every kind of failure; the answer cache.
#![allow(clippy::unwrap_used)]

use crate::mock;

use std::time::{Duration, Instant};

use kds_webhook::KubernetesDaemonSet;
use kds_webhook::access::{self, AccessChecker, AccessError, Need, UserInfo};
use mock::{Mode, Rule};

/// A tenant whose rights stop at its own namespace.
const TENANT: &str = "system:serviceaccount:team-a:tenant";

fn rbac() -> Vec<Rule> {
    vec![
        // kubeadm's admin group: cluster-admin.
        Rule {
            subject: "kubeadm:cluster-admins",
            verbs: &["*"],
            groups: &["*"],
            resources: &["*"],
            namespace: None,
        },
        // The tenant: KubernetesDaemonSets, DaemonSets and configmap reads in team-a only.
        Rule {
            subject: TENANT,
            verbs: &["create", "update", "patch", "get", "list"],
            groups: &["kubernetes.project-planton.org", "apps"],
            resources: &["kubernetesdaemonsets", "daemonsets"],
            namespace: Some("team-a"),
        },
        Rule {
            subject: TENANT,
            verbs: &["get", "list", "watch"],
            groups: &[""],
            resources: &["configmaps"],
            namespace: Some("team-a"),
        },
        // A group allowed to escalate (and one also to bind) roles in team-a.
        Rule {
            subject: "rbac-escalators",
            verbs: &["escalate"],
            groups: &["rbac.authorization.k8s.io"],
            resources: &["roles"],
            namespace: Some("team-a"),
        },
        Rule {
            subject: "rbac-delegates",
            verbs: &["escalate", "bind"],
            groups: &["rbac.authorization.k8s.io"],
            resources: &["roles"],
            namespace: Some("team-a"),
        },
    ]
}

fn admin() -> UserInfo {
    UserInfo {
        username: "kubernetes-admin".into(),
        groups: vec![
            "kubeadm:cluster-admins".into(),
            "system:authenticated".into(),
        ],
        ..UserInfo::default()
    }
}

fn tenant(extra_groups: &[&str]) -> UserInfo {
    let mut groups = vec![
        "system:serviceaccounts".to_owned(),
        "system:serviceaccounts:team-a".to_owned(),
        "system:authenticated".to_owned(),
    ];
    groups.extend(extra_groups.iter().map(|g| (*g).to_owned()));
    UserInfo {
        username: TENANT.into(),
        uid: "0b5d7d4c-0000-4000-8000-000000000001".into(),
        groups,
        ..UserInfo::default()
    }
}

/// A defaulted object in `namespace` with `spec` fields merged over a minimal valid one.
fn kds(namespace: &str, spec: serde_json::Value) -> KubernetesDaemonSet {
    let mut doc = serde_json::json!({
        "apiVersion": "kubernetes.project-planton.org/v1",
        "kind": "KubernetesDaemonSet",
        "metadata": {"name": "agent", "namespace": namespace},
        "spec": {"container": {"app": {"image": {"repo": "busybox", "tag": "1.36"}}}},
    });
    for (k, v) in spec.as_object().unwrap() {
        doc["spec"][k] = v.clone();
    }
    let checked = kds_webhook::engine::check(kds_webhook::manifest::decode(doc).unwrap(), None);
    assert!(checked.errors.is_empty(), "{}", checked.errors);
    checked.defaulted
}

/// The seed example (examples/fluentd-logger.yaml), written into `logging`.
fn seed() -> KubernetesDaemonSet {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/fluentd-logger.yaml"
    ))
    .unwrap();
    let mut doc = kds_webhook::manifest::parse_documents(&text)
        .unwrap()
        .remove(0);
    doc["metadata"]["namespace"] = "logging".into();
    kds_webhook::engine::check(kds_webhook::manifest::decode(doc).unwrap(), None).defaulted
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

/// (field, message) of each cause the writer gets, and the number of reviews sent.
async fn judge(user: &UserInfo, obj: &KubernetesDaemonSet) -> (Vec<(String, String)>, usize) {
    let m = mock::start(Mode::Rbac(rbac()));
    let checker = AccessChecker::new(m.client.clone(), Duration::from_secs(10));
    let ns = obj.metadata.namespace.clone().unwrap();
    let plan = access::plan(obj, &ns);
    let errs = checker.check(&plan, user, deadline()).await.unwrap();
    let causes = errs
        .iter()
        .map(|e| (e.path.to_string(), e.body()))
        .collect();
    (causes, m.calls())
}

fn fields(causes: &[(String, String)]) -> Vec<&str> {
    causes.iter().map(|(f, _)| f.as_str()).collect()
}

const CLUSTER_RULES: &str = r#"{"create_service_account": true,
  "rbac": {"cluster_rules": [{"api_groups": [""], "resources": ["nodes", "pods"], "verbs": ["get", "list", "watch"]}]}}"#;

#[tokio::test]
async fn a_cluster_admin_may_apply_the_seed_example_as_written() {
    let (causes, calls) = judge(&admin(), &seed()).await;
    assert!(causes.is_empty(), "{causes:?}");
    assert_eq!(calls, 1, "one review: create namespaces");
}

#[tokio::test]
async fn a_cluster_admin_may_grant_cluster_rules_by_escalate_and_bind() {
    let obj = kds("team-a", serde_json::from_str(CLUSTER_RULES).unwrap());
    let (causes, calls) = judge(&admin(), &obj).await;
    assert!(causes.is_empty(), "{causes:?}");
    // create clusterroles, create clusterrolebindings, escalate, bind: the six rule
    // permissions are never asked because escalate and bind settle the grant.
    assert_eq!(calls, 4);
}

#[tokio::test]
async fn a_tenant_in_its_own_namespace_needs_no_review() {
    let obj = kds(
        "team-a",
        serde_json::json!({"config_maps": {"agent.conf": "x"}}),
    );
    assert!(access::plan(&obj, "team-a").is_empty());
    let (causes, calls) = judge(&tenant(&[]), &obj).await;
    assert!(causes.is_empty());
    assert_eq!(calls, 0);
}

#[tokio::test]
async fn a_tenant_asking_for_another_namespace_is_refused_there() {
    let obj = kds(
        "team-a",
        serde_json::json!({"namespace": {"value": "kube-system"}, "config_maps": {"agent.conf": "x"}}),
    );
    let (causes, calls) = judge(&tenant(&[]), &obj).await;
    assert_eq!(
        fields(&causes),
        [
            "spec.namespace.value",
            "spec.namespace.value",
            "spec.config_maps[agent.conf]"
        ]
    );
    assert_eq!(calls, 3);
    assert_eq!(
        causes[1].1,
        "Forbidden: the controller would do this on the writer's behalf, and user \
         \"system:serviceaccount:team-a:tenant\" cannot create resource \"daemonsets\" in API \
         group \"apps\" named \"agent\" in the namespace \"kube-system\""
    );
    assert!(
        causes[0]
            .1
            .contains("\"kubernetesdaemonsets\" in API group \"kubernetes.project-planton.org\"")
    );
}

#[tokio::test]
async fn a_tenant_may_target_another_namespace_it_may_write_to() {
    // The tenant's own namespace is team-a; an object kept in team-b that targets team-a.
    let obj = kds(
        "team-b",
        serde_json::json!({"namespace": {"value": "team-a"}}),
    );
    let (causes, calls) = judge(&tenant(&[]), &obj).await;
    assert!(causes.is_empty(), "{causes:?}");
    assert_eq!(
        calls, 2,
        "create kubernetesdaemonsets and daemonsets in team-a"
    );
}

#[tokio::test]
async fn a_tenant_may_not_create_namespaces() {
    let obj = kds("team-a", serde_json::json!({"create_namespace": true}));
    let (causes, _) = judge(&tenant(&[]), &obj).await;
    assert_eq!(fields(&causes), ["spec.create_namespace"]);
    assert!(causes[0].1.ends_with(
        "cannot create resource \"namespaces\" in API group \"\" named \"team-a\" at the cluster scope"
    ));
}

#[tokio::test]
async fn a_tenant_may_not_grant_cluster_rules() {
    let obj = kds("team-a", serde_json::from_str(CLUSTER_RULES).unwrap());
    let (causes, _) = judge(&tenant(&[]), &obj).await;
    assert_eq!(
        fields(&causes),
        [
            "spec.rbac.cluster_rules",
            "spec.rbac.cluster_rules",
            "spec.rbac.cluster_rules[0]"
        ]
    );
    let grant = &causes[2].1;
    assert!(
        grant.contains(
            "is attempting to grant RBAC permissions not currently held at the cluster scope"
        ),
        "{grant}"
    );
    assert!(grant.contains(r#"{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}"#));
    assert!(grant.contains("(holding escalate and bind on clusterroles would also do)"));
}

const NAMESPACE_RULES: &str = r#"{"create_service_account": true,
  "rbac": {"namespace_rules": [
    {"api_groups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]},
    {"api_groups": [""], "resources": ["secrets"], "verbs": ["get"]}]}}"#;

#[tokio::test]
async fn a_tenant_may_grant_what_it_holds_and_nothing_beyond() {
    let obj = kds("team-a", serde_json::from_str(NAMESPACE_RULES).unwrap());
    let (causes, calls) = judge(&tenant(&[]), &obj).await;
    assert_eq!(fields(&causes), ["spec.rbac.namespace_rules[1]"]);
    assert!(
        causes[0].1.contains(
            r#"not currently held in the namespace "team-a": {APIGroups:[""], Resources:["secrets"], Verbs:["get"]}"#
        ),
        "{}",
        causes[0].1
    );
    // escalate, bind; then get/list configmaps and get secrets.
    assert_eq!(calls, 5);
}

#[tokio::test]
async fn a_group_holding_escalate_and_bind_may_grant_beyond_its_rights() {
    let obj = kds("team-a", serde_json::from_str(NAMESPACE_RULES).unwrap());
    let (causes, calls) = judge(&tenant(&["rbac-delegates"]), &obj).await;
    assert!(causes.is_empty(), "{causes:?}");
    assert_eq!(calls, 2, "escalate and bind settle it");
    // escalate alone makes the Role but not its binding: the rules must still be held.
    let (causes, _) = judge(&tenant(&["rbac-escalators"]), &obj).await;
    assert_eq!(fields(&causes), ["spec.rbac.namespace_rules[1]"]);
}

#[tokio::test]
async fn wildcards_are_held_only_by_wildcards() {
    let obj = kds(
        "team-a",
        serde_json::json!({"create_service_account": true, "rbac": {"namespace_rules": [
            {"api_groups": ["*"], "resources": ["*"], "verbs": ["*"]}]}}),
    );
    let (causes, _) = judge(&tenant(&[]), &obj).await;
    assert_eq!(fields(&causes), ["spec.rbac.namespace_rules[0]"]);
    let (causes, _) = judge(&admin(), &obj).await;
    assert!(causes.is_empty());
}

#[tokio::test]
async fn too_many_permissions_need_escalate_and_bind() {
    let verbs: Vec<String> = (0..20).map(|i| format!("verb{i}")).collect();
    let resources: Vec<String> = (0..20).map(|i| format!("things{i}")).collect();
    let obj = kds(
        "team-a",
        serde_json::json!({"create_service_account": true, "rbac": {"namespace_rules": [
            {"api_groups": [""], "resources": resources, "verbs": verbs}]}}),
    );
    let plan = access::plan(&obj, "team-a");
    let Some(Need::Grant(g)) = plan.needs.last() else {
        panic!("a grant")
    };
    assert!(g.too_many() && g.rules.is_empty() && g.total == 400);
    let (causes, calls) = judge(&tenant(&[]), &obj).await;
    assert_eq!(fields(&causes), ["spec.rbac.namespace_rules"]);
    assert!(
        causes[0]
            .1
            .contains("grant 400 permissions, more than the 256")
    );
    assert_eq!(calls, 2, "never 400 reviews");
    let (causes, _) = judge(&tenant(&["rbac-delegates"]), &obj).await;
    assert!(causes.is_empty());
}

#[tokio::test]
async fn reviews_carry_the_whole_user_info() {
    let m = mock::start(Mode::Rbac(rbac()));
    let checker = AccessChecker::new(m.client.clone(), Duration::from_secs(10));
    let mut user = tenant(&[]);
    user.extra.insert(
        "authentication.kubernetes.io/pod-name".into(),
        vec!["agent-x".into()],
    );
    let obj = kds("team-a", serde_json::json!({"create_namespace": true}));
    checker
        .check(&access::plan(&obj, "team-a"), &user, deadline())
        .await
        .unwrap();
    let seen = m.seen.lock().unwrap();
    let sar = &seen[0];
    assert_eq!(sar["apiVersion"], "authorization.k8s.io/v1");
    assert_eq!(sar["kind"], "SubjectAccessReview");
    assert_eq!(sar["spec"]["user"], TENANT);
    assert_eq!(sar["spec"]["uid"], user.uid);
    assert_eq!(sar["spec"]["groups"][1], "system:serviceaccounts:team-a");
    assert_eq!(
        sar["spec"]["extra"]["authentication.kubernetes.io/pod-name"][0],
        "agent-x"
    );
    assert_eq!(
        sar["spec"]["resourceAttributes"],
        serde_json::json!({"verb": "create", "group": "", "resource": "namespaces", "name": "team-a"})
    );
}

async fn fails_with(mode: Mode, timeout: Duration) -> AccessError {
    let m = mock::start(mode);
    let mut checker = AccessChecker::new(m.client.clone(), Duration::from_secs(10));
    checker.call_timeout = timeout;
    let obj = kds("team-a", serde_json::json!({"create_namespace": true}));
    let err = checker
        .check(&access::plan(&obj, "team-a"), &admin(), deadline())
        .await
        .expect_err("fails closed");
    assert!(checker.cache().is_empty(), "failures are never cached");
    err
}

#[tokio::test]
async fn a_refused_review_fails_closed() {
    let msg = r#"subjectaccessreviews.authorization.k8s.io is forbidden: User "system:serviceaccount:kds-system:kds-webhook" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope"#;
    let err = fails_with(Mode::Fail(403, msg), Duration::from_secs(3)).await;
    assert!(
        matches!(err, AccessError::Refused { code: 403, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("cannot create resource \"subjectaccessreviews\"")
    );
}

#[tokio::test]
async fn a_server_error_fails_closed() {
    let err = fails_with(
        Mode::Fail(500, "etcdserver: request timed out"),
        Duration::from_secs(3),
    )
    .await;
    assert!(
        matches!(err, AccessError::Refused { code: 500, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_answer_without_status_fails_closed() {
    let err = fails_with(Mode::NoStatus, Duration::from_secs(3)).await;
    assert!(matches!(err, AccessError::NoStatus), "{err:?}");
}

#[tokio::test]
async fn a_silent_api_server_fails_closed_in_time() {
    let start = Instant::now();
    let err = fails_with(Mode::Hang, Duration::from_millis(200)).await;
    assert!(matches!(err, AccessError::Timeout(_)), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn answers_are_reused_per_user_until_they_expire() {
    let m = mock::start(Mode::Rbac(rbac()));
    let checker = AccessChecker::new(m.client.clone(), Duration::from_millis(300));
    let obj = kds("team-a", serde_json::from_str(NAMESPACE_RULES).unwrap());
    let plan = access::plan(&obj, "team-a");
    let first = checker
        .check(&plan, &tenant(&[]), deadline())
        .await
        .unwrap();
    assert_eq!(m.calls(), 5);
    let again = checker
        .check(&plan, &tenant(&[]), deadline())
        .await
        .unwrap();
    assert_eq!(
        m.calls(),
        5,
        "the same user's second check is answered from the cache"
    );
    assert_eq!(first, again, "denials are cached too, and judged the same");
    // Another identity (here: one more group) is another key.
    checker
        .check(&plan, &tenant(&["rbac-delegates"]), deadline())
        .await
        .unwrap();
    assert_eq!(m.calls(), 7);
    tokio::time::sleep(Duration::from_millis(350)).await;
    checker
        .check(&plan, &tenant(&[]), deadline())
        .await
        .unwrap();
    assert_eq!(m.calls(), 12, "expired answers are asked again");
}

#[test]
fn the_user_is_read_from_the_review_and_must_be_named() {
    let body = br#"{"request":{"uid":"u","userInfo":{"username":"alice","groups":["g"],"extra":{"k":["v"]}},"object":{}}}"#;
    let u = UserInfo::from_review(body).unwrap();
    assert_eq!(
        (
            u.username.as_str(),
            u.groups.len(),
            u.extra["k"][0].as_str()
        ),
        ("alice", 1, "v")
    );
    assert!(matches!(
        UserInfo::from_review(br#"{"request":{"uid":"u"}}"#),
        Err(AccessError::NoUser)
    ));
}
