use base64::Engine as _;
use serde_json::{Value, json};

use super::*;

const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

fn mk_opts() -> Options {
    Options::new("kds-system", Tls::CaBundle(CA.to_owned()))
}

fn mk_self_signed(dns: &str) -> TlsMaterial {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec![dns.to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    TlsMaterial::new(cert.pem(), cert.pem(), key.serialize_pem()).expect("material")
}

fn json<T: serde::Serialize>(obj: &T) -> Value {
    serde_json::to_value(obj).expect("json")
}

#[test]
fn webhooks_match_only_kubernetesdaemonsets_create_and_update() {
    let inst = build(&mk_opts());
    let rule = json!([{
        "apiGroups": ["kubernetes.project-planton.org"],
        "apiVersions": ["v1"],
        "operations": ["CREATE", "UPDATE"],
        "resources": ["kubernetesdaemonsets"],
        "scope": "Namespaced",
    }]);
    let m = json(&inst.mutating);
    let v = json(&inst.validating);
    for (hook, path) in [
        (&m["webhooks"][0], "/mutate"),
        (&v["webhooks"][0], "/validate"),
    ] {
        assert_eq!(hook["rules"], rule);
        assert_eq!(hook["failurePolicy"], "Fail");
        assert_eq!(hook["matchPolicy"], "Equivalent");
        assert_eq!(hook["sideEffects"], "None");
        assert_eq!(hook["timeoutSeconds"], 5);
        assert_eq!(hook["admissionReviewVersions"], json!(["v1"]));
        assert_eq!(
            hook["clientConfig"]["service"],
            json!({"name": "kds-webhook", "namespace": "kds-system", "path": path, "port": 443})
        );
    }
    assert_eq!(m["webhooks"].as_array().map(Vec::len), Some(1));
    assert_eq!(m["webhooks"][0]["reinvocationPolicy"], "Never");
    assert_eq!(v["webhooks"][0].get("reinvocationPolicy"), None);
    assert_eq!(m["webhooks"][0]["name"], MUTATING_WEBHOOK_NAME);
    assert_eq!(v["webhooks"][0]["name"], VALIDATING_WEBHOOK_NAME);
}

#[test]
fn excludes_release_namespace_and_kube_system() {
    let inst = build(&mk_opts());
    let expected = json!({"matchExpressions": [{
        "key": "kubernetes.io/metadata.name",
        "operator": "NotIn",
        "values": ["kds-system", "kube-system"],
    }]});
    assert_eq!(
        json(&inst.mutating)["webhooks"][0]["namespaceSelector"],
        expected
    );
    assert_eq!(
        json(&inst.validating)["webhooks"][0]["namespaceSelector"],
        expected
    );

    let in_kube_system = Options::new("kube-system", Tls::CaBundle(CA.to_owned()));
    assert_eq!(in_kube_system.excluded_namespaces(), ["kube-system"]);
}

#[test]
fn ca_bundle_is_base64_of_the_pem() {
    let inst = build(&mk_opts());
    let b64 = base64::engine::general_purpose::STANDARD.encode(CA);
    for v in [json(&inst.mutating), json(&inst.validating)] {
        assert_eq!(v["webhooks"][0]["clientConfig"]["caBundle"], b64);
    }
    assert!(
        inst.secret.is_none(),
        "only the bundle: the Secret exists already"
    );
}

#[test]
fn hardens_the_pod_and_container() {
    let d = json(&build(&mk_opts()).deployment);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(
        pod["securityContext"],
        json!({"runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532,
               "seccompProfile": {"type": "RuntimeDefault"}})
    );
    // A token only for the access checks' SubjectAccessReviews.
    assert_eq!(pod["automountServiceAccountToken"], true);
    let c = &pod["containers"][0];
    assert_eq!(
        c["securityContext"],
        json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
               "runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}})
    );
    assert!(c["resources"]["requests"]["cpu"].is_string());
    assert!(c["resources"]["limits"]["memory"].is_string());
}

#[test]
fn probes_hit_the_admin_port() {
    let d = json(&build(&mk_opts()).deployment);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/livez");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    for p in ["livenessProbe", "readinessProbe"] {
        assert_eq!(c[p]["httpGet"]["port"], ADMIN_PORT_NAME);
    }
    assert_eq!(
        c["ports"],
        json!([{"name": "https", "containerPort": 8443, "protocol": "TCP"},
               {"name": "admin", "containerPort": 8080, "protocol": "TCP"}])
    );
}

#[test]
fn deployment_is_highly_available_and_drains_in_time() {
    let inst = build(&mk_opts());
    let d = json(&inst.deployment);
    assert_eq!(d["spec"]["replicas"], 2);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["terminationGracePeriodSeconds"], 30);
    let tsc = &pod["topologySpreadConstraints"][0];
    assert_eq!(tsc["topologyKey"], "kubernetes.io/hostname");
    assert_eq!(tsc["whenUnsatisfiable"], "ScheduleAnyway");
    assert_eq!(
        tsc["labelSelector"]["matchLabels"],
        d["spec"]["selector"]["matchLabels"]
    );
    let pdb = json(&inst.pdb);
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(pdb["spec"]["selector"], d["spec"]["selector"]);
    let args = pod["containers"][0]["args"].clone();
    assert!(
        args.as_array()
            .expect("args")
            .contains(&json!("--shutdown-timeout=10s")),
        "{args}"
    );
}

#[test]
fn service_routes_443_to_the_https_port() {
    let s = json(&build(&mk_opts()).service);
    assert_eq!(
        s["spec"]["ports"][0],
        json!({"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"})
    );
    assert_eq!(s["spec"]["ports"][1]["name"], "metrics");
    assert_eq!(
        s["spec"]["selector"],
        json!({"app.kubernetes.io/name": "kds-webhook", "app.kubernetes.io/instance": "kds-webhook"})
    );
}

#[test]
fn certs_become_a_tls_secret_mounted_read_only() {
    let m = mk_self_signed("kds-webhook.kds-system.svc");
    let opts = Options::new("kds-system", Tls::Material(m.clone()));
    m.check_names(&opts).expect("names the service");
    let inst = build(&opts);
    let s = json(&inst.secret.expect("secret"));
    assert_eq!(s["type"], "kubernetes.io/tls");
    assert_eq!(s["metadata"]["name"], "kds-webhook-tls");
    let b64 = |t: &str| json!(base64::engine::general_purpose::STANDARD.encode(t));
    assert_eq!(s["data"]["tls.key"], b64(&m.tls_key));
    assert_eq!(s["data"]["ca.crt"], b64(&m.ca_crt));
    let d = json(&inst.deployment);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["volumes"][0]["secret"]["secretName"], "kds-webhook-tls");
    assert_eq!(
        pod["containers"][0]["volumeMounts"][0],
        json!({"name": "tls", "mountPath": "/certs", "readOnly": true})
    );
}

#[test]
fn refuses_a_certificate_for_another_service() {
    let m = mk_self_signed("other.default.svc");
    let opts = Options::new("kds-system", Tls::Material(m.clone()));
    let err = m.check_names(&opts).expect_err("wrong name");
    assert!(
        err.to_string().contains("kds-webhook.kds-system.svc"),
        "{err}"
    );
    assert!(TlsMaterial::new(CA.into(), CA.into(), "nope".into()).is_err());
    assert!(check_ca_bundle("bm90IGEgcGVt").is_err());
}

#[test]
fn policy_becomes_a_mounted_config_map() {
    let mut opts = mk_opts();
    opts.policy = Some("gates: {}\n".into());
    let inst = build(&opts);
    let cm = json(&inst.config_map.expect("config map"));
    assert_eq!(cm["data"]["policy.yaml"], "gates: {}\n");
    let d = json(&inst.deployment);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert!(
        c["args"]
            .as_array()
            .expect("args")
            .contains(&json!("--policy=/policy/policy.yaml"))
    );
    assert_eq!(c["volumeMounts"][1]["mountPath"], "/policy");
}

#[test]
fn objects_come_in_apply_order_with_kinds() {
    let kinds: Vec<String> = build(&mk_opts())
        .to_values()
        .iter()
        .map(|v| v["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "CustomResourceDefinition",
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Service",
            "Deployment",
            "PodDisruptionBudget",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Deployment",
            "PodDisruptionBudget",
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
        ]
    );
}
