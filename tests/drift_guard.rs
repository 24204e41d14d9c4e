//! The drift guard's CEL, evaluated as the API server would evaluate the shipped
//! ValidatingAdmissionPolicy: its variables in order, then each validation, with
//! `messageExpression` for the refusal. Uses the `cel` crate (cel-rust); the expressions stay
//! within what both it and Kubernetes' CEL support.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashMap;

use kds_webhook::install::{self, Options, Tls};
use serde_json::{Value, json};

const CONTROLLER: &str = "system:serviceaccount:kds-system:kds-webhook-controller";
const GC: &str = "system:serviceaccount:kube-system:generic-garbage-collector";
const NS_CONTROLLER: &str = "system:serviceaccount:kube-system:namespace-controller";

/// The webhook's installation alone: the controller's own RBAC is tested with the controller.
fn opts() -> Options {
    let mut o = Options::new(
        "kds-system",
        Tls::CaBundle("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".into()),
    );
    o.controller = false;
    o
}

/// The shipped policy, as JSON.
fn policy(opts: &Options) -> Value {
    let objs = install::build(opts).to_values();
    objs.into_iter()
        .find(|o| o["kind"] == "ValidatingAdmissionPolicy")
        .expect("the drift guard is shipped by default")
}

fn to_cel(v: &Value) -> cel::Value {
    cel::to_value(v).unwrap()
}

/// Evaluates `policy` for one request: Ok when admitted, else the first refusal's message.
fn admit(
    policy: &Value,
    user: &str,
    groups: &[&str],
    object: Value,
    old: Value,
) -> Result<(), String> {
    let mut user_info = json!({"username": user});
    if !groups.is_empty() {
        user_info["groups"] = json!(groups);
    }
    let operation = match (&object, &old) {
        (Value::Null, _) => "DELETE",
        (_, Value::Null) => "CREATE",
        _ => "UPDATE",
    };
    let mut ctx = cel::Context::default();
    ctx.add_variable(
        "request",
        to_cel(&json!({"operation": operation, "userInfo": user_info})),
    )
    .unwrap();
    ctx.add_variable("object", to_cel(&object)).unwrap();
    ctx.add_variable("oldObject", to_cel(&old)).unwrap();
    let spec = &policy["spec"];
    let mut vars: HashMap<String, cel::Value> = HashMap::new();
    for v in spec["variables"].as_array().unwrap() {
        ctx.add_variable("variables", cel::Value::Map(vars.clone().into()))
            .unwrap();
        let expr = v["expression"].as_str().unwrap();
        let value = cel::Program::compile(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .execute(&ctx)
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        vars.insert(v["name"].as_str().unwrap().to_owned(), value);
    }
    ctx.add_variable("variables", cel::Value::Map(vars.into()))
        .unwrap();
    for v in spec["validations"].as_array().unwrap() {
        assert_eq!(v["reason"], "Forbidden");
        let ok = cel::Program::compile(v["expression"].as_str().unwrap())
            .unwrap()
            .execute(&ctx)
            .unwrap();
        if ok != cel::Value::Bool(true) {
            let msg = cel::Program::compile(v["messageExpression"].as_str().unwrap())
                .unwrap()
                .execute(&ctx)
                .unwrap();
            let cel::Value::String(msg) = msg else {
                panic!("message is not a string: {msg:?}")
            };
            return Err(msg.to_string());
        }
    }
    Ok(())
}

/// A DaemonSet with `labels`.
fn daemon_set(labels: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
           "metadata": {"name": "agent", "namespace": "team-a", "labels": labels},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})
}

fn owned() -> Value {
    daemon_set(json!({
        "app": "daemonset",
        "kubernetes.project-planton.org/owner-name": "agent",
        "kubernetes.project-planton.org/owner-namespace": "team-a",
    }))
}

fn edited(mut obj: Value) -> Value {
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = "evil:latest".into();
    obj
}

const EXPECTED_REFUSAL: &str = "this object belongs to KubernetesDaemonSet team-a/agent, whose \
    controller keeps it as that KubernetesDaemonSet says: change the KubernetesDaemonSet instead \
    (kubectl -n team-a edit kubernetesdaemonset agent)";

#[test]
fn the_controller_may_create_change_and_delete_its_objects() {
    let p = policy(&opts());
    let sa = [
        "system:serviceaccounts",
        "system:serviceaccounts:kds-system",
    ];
    assert_eq!(admit(&p, CONTROLLER, &sa, owned(), Value::Null), Ok(()));
    assert_eq!(admit(&p, CONTROLLER, &sa, edited(owned()), owned()), Ok(()));
    assert_eq!(admit(&p, CONTROLLER, &sa, Value::Null, owned()), Ok(()));
}

#[test]
fn a_user_may_not_change_or_delete_an_owned_object() {
    let p = policy(&opts());
    let groups = ["team-a-admins", "system:authenticated"];
    assert_eq!(
        admit(&p, "alice", &groups, edited(owned()), owned()),
        Err(EXPECTED_REFUSAL.to_owned())
    );
    assert_eq!(
        admit(&p, "alice", &groups, Value::Null, owned()),
        Err(EXPECTED_REFUSAL.to_owned())
    );
    // Nor strip the label to take the object over.
    assert_eq!(
        admit(
            &p,
            "alice",
            &groups,
            daemon_set(json!({"app": "daemonset"})),
            owned()
        ),
        Err(EXPECTED_REFUSAL.to_owned())
    );
    // A user without any group (no `groups` in userInfo) is judged the same.
    assert_eq!(
        admit(&p, "alice", &[], edited(owned()), owned()),
        Err(EXPECTED_REFUSAL.to_owned())
    );
}

#[test]
fn the_garbage_collector_and_namespace_controller_may_clean_up() {
    let p = policy(&opts());
    // The GC removes ownerReferences / finalizers (an UPDATE), then deletes.
    let mut orphaned = owned();
    orphaned["metadata"]["finalizers"] = json!([]);
    assert_eq!(admit(&p, GC, &[], orphaned, owned()), Ok(()));
    assert_eq!(admit(&p, GC, &[], Value::Null, owned()), Ok(()));
    assert_eq!(admit(&p, NS_CONTROLLER, &[], Value::Null, owned()), Ok(()));
}

#[test]
fn break_glass_is_a_configured_group_and_nothing_else() {
    let p = policy(&opts());
    assert_eq!(
        admit(
            &p,
            "root",
            &["system:masters", "system:authenticated"],
            edited(owned()),
            owned()
        ),
        Ok(())
    );
    // kubeadm's admin kubeconfig is not system:masters: it must be opened explicitly.
    let kubeadm = ["kubeadm:cluster-admins", "system:authenticated"];
    assert!(admit(&p, "kubernetes-admin", &kubeadm, edited(owned()), owned()).is_err());
    let mut opened = opts();
    opened.break_glass_groups = vec!["kubeadm:cluster-admins".into()];
    let p = policy(&opened);
    assert_eq!(
        admit(&p, "kubernetes-admin", &kubeadm, edited(owned()), owned()),
        Ok(())
    );
    // An annotation is no break-glass: anyone who may write the object could set it.
    let mut annotated = edited(owned());
    annotated["metadata"]["annotations"] =
        json!({"kubernetes.project-planton.org/break-glass": "true"});
    assert!(admit(&p, "alice", &["system:authenticated"], annotated, owned()).is_err());
}

#[test]
fn a_forged_ownership_label_is_refused() {
    let p = policy(&opts());
    let forged_msg = "the label kubernetes.project-planton.org/owner-name marks objects of the \
        KubernetesDaemonSet controller and only the controller may set it: remove it from this object";
    // Creating one's own DaemonSet with the label...
    assert_eq!(
        admit(&p, "alice", &["system:authenticated"], owned(), Value::Null),
        Err(forged_msg.to_owned())
    );
    // ...or adding it to one's own DaemonSet.
    let mine = daemon_set(json!({"app": "mine"}));
    assert_eq!(
        admit(
            &p,
            "alice",
            &["system:authenticated"],
            owned(),
            mine.clone()
        ),
        Err(forged_msg.to_owned())
    );
    // Without the label the guard has nothing to say (and its objectSelector does not match).
    assert_eq!(admit(&p, "alice", &[], edited(mine.clone()), mine), Ok(()));
}

#[test]
fn the_guard_matches_the_controllers_kinds_by_label_and_never_kubernetesdaemonsets() {
    let p = policy(&opts());
    let m = &p["spec"]["matchConstraints"];
    assert_eq!(
        m["objectSelector"],
        json!({"matchExpressions": [{"key": "kubernetes.project-planton.org/owner-name", "operator": "Exists"}]})
    );
    let resources: Vec<&str> = m["resourceRules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["resources"].as_array().unwrap())
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(!resources.iter().any(|r| r.contains("kubernetesdaemonsets")));
    assert!(
        !resources.iter().any(|r| r.contains('/') || *r == "*"),
        "no subresources: status writes pass"
    );
    // Every kind the expansion can produce is guarded, but Namespaces: their administrators
    // must still label and delete them, and the controller never deletes one.
    assert!(!resources.contains(&"namespaces"));
    for kind in [
        "configmaps",
        "serviceaccounts",
        "secrets",
        "daemonsets",
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
    ] {
        assert!(resources.contains(&kind), "{kind}");
    }
    assert_eq!(p["spec"]["failurePolicy"], "Fail");
}

#[test]
fn the_guard_and_the_access_permission_can_be_left_out() {
    let mut o = opts();
    o.drift_guard = false;
    o.access_checks = false;
    let objs = install::build(&o).to_values();
    for kind in [
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ClusterRole",
        "ClusterRoleBinding",
    ] {
        assert!(!objs.iter().any(|x| x["kind"] == kind), "{kind}");
    }
    let d = objs.iter().find(|x| x["kind"] == "Deployment").unwrap();
    assert_eq!(
        d["spec"]["template"]["spec"]["automountServiceAccountToken"],
        false
    );
}

#[test]
fn the_webhook_holds_exactly_one_permission() {
    let objs = install::build(&opts()).to_values();
    let roles: Vec<&Value> = objs
        .iter()
        .filter(|x| x["kind"] == "ClusterRole" || x["kind"] == "Role")
        .collect();
    assert_eq!(roles.len(), 1);
    assert_eq!(
        roles[0]["rules"],
        json!([{"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"], "verbs": ["create"]}])
    );
    let b = objs
        .iter()
        .find(|x| x["kind"] == "ClusterRoleBinding")
        .unwrap();
    assert_eq!(
        b["subjects"],
        json!([{"kind": "ServiceAccount", "name": "kds-webhook", "namespace": "kds-system"}])
    );
    let d = objs.iter().find(|x| x["kind"] == "Deployment").unwrap();
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["automountServiceAccountToken"], true);
    assert!(
        pod["containers"][0]["env"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "KDS_WEBHOOK_ACCESS_CHECKS", "value": "on"}))
    );
    let binding = objs
        .iter()
        .find(|x| x["kind"] == "ValidatingAdmissionPolicyBinding")
        .unwrap();
    assert_eq!(
        binding["spec"],
        json!({"policyName": "kds-webhook-drift-guard", "validationActions": ["Deny"]})
    );
}
