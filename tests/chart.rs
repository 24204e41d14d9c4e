//! The Helm chart against `kds-webhook manifests` and `kds-webhook crd`, without helm.
//!
//! values.yaml is parsed as YAML and templates are read as text: the defaults both sides
//! state must agree, the CRD copy must be byte-identical, every values key is documented and
//! typed in a closed schema. (CI additionally renders the chart with helm where available,
//! see .ci/run.)

use std::path::{Path, PathBuf};

use kds_webhook::install::{self, Options, Tls};
use serde_json::{Value, json};

fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/kds-webhook")
}

fn read(rel: &str) -> String {
    let path = chart().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(rel: &str) -> Value {
    let docs = kds_webhook::manifest::parse_documents(&read(rel)).expect("yaml");
    docs.into_iter().next().expect("one document")
}

fn values() -> Value {
    yaml("values.yaml")
}

fn installation() -> Value {
    let opts = Options::new(
        "kds-system",
        Tls::CaBundle("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".into()),
    );
    let objs = install::build(&opts).to_values();
    json!({
        "deployment": objs.iter().find(|o| o["kind"] == "Deployment"),
        "service": objs.iter().find(|o| o["kind"] == "Service"),
        "pdb": objs.iter().find(|o| o["kind"] == "PodDisruptionBudget"),
        "mutating": objs.iter().find(|o| o["kind"] == "MutatingWebhookConfiguration"),
    })
}

#[test]
fn crd_copy_is_byte_identical_to_kds_webhook_crd() {
    let generated = kds_webhook::crd::crd_yaml().expect("crd yaml");
    assert!(
        read("crds/kubernetesdaemonsets.yaml") == generated,
        "charts/kds-webhook/crds/kubernetesdaemonsets.yaml is stale: run `just generate`"
    );
}

#[test]
fn chart_versions_match_the_crate() {
    let c = yaml("Chart.yaml");
    assert_eq!(c["apiVersion"], "v2");
    assert_eq!(c["appVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(c["kubeVersion"], ">=1.30.0-0");
    assert_eq!(
        format!(
            "{}:{}",
            values()["image"]["repository"].as_str().expect("repo"),
            c["appVersion"].as_str().expect("appVersion")
        ),
        install::DEFAULT_IMAGE
    );
}

#[test]
fn scalar_defaults_match_manifests() {
    let v = values();
    let i = installation();
    let d = &i["deployment"]["spec"];
    let pod = &d["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(v["replicaCount"], d["replicas"]);
    assert_eq!(
        v["terminationGracePeriodSeconds"],
        pod["terminationGracePeriodSeconds"]
    );
    assert_eq!(v["containerPorts"]["https"], c["ports"][0]["containerPort"]);
    assert_eq!(v["containerPorts"]["admin"], c["ports"][1]["containerPort"]);
    assert_eq!(
        v["service"]["port"],
        i["service"]["spec"]["ports"][0]["port"]
    );
    assert_eq!(
        v["service"]["metrics"]["port"],
        i["service"]["spec"]["ports"][1]["port"]
    );
    assert_eq!(v["server"]["shutdownTimeout"], install::SHUTDOWN_TIMEOUT);
    assert_eq!(v["server"]["http2"], false);
    assert_eq!(v["log"]["level"], install::LOG_LEVEL);
    assert_eq!(v["log"]["format"], install::LOG_FORMAT);
    assert_eq!(v["image"]["pullPolicy"], c["imagePullPolicy"]);
    let hook = &i["mutating"]["webhooks"][0];
    assert_eq!(v["webhook"]["timeoutSeconds"], hook["timeoutSeconds"]);
    assert_eq!(v["webhook"]["failurePolicy"], hook["failurePolicy"]);
    assert_eq!(
        v["podDisruptionBudget"]["maxUnavailable"],
        i["pdb"]["spec"]["maxUnavailable"]
    );
    assert_eq!(v["tls"]["mode"], "helm");
}

#[test]
fn object_defaults_match_manifests() {
    let v = values();
    let i = installation();
    let pod = &i["deployment"]["spec"]["template"]["spec"];
    assert_eq!(v["resources"], pod["containers"][0]["resources"]);
    assert_eq!(v["podSecurityContext"], pod["securityContext"]);
    assert_eq!(
        v["securityContext"],
        pod["containers"][0]["securityContext"]
    );
}

/// The YAML block under `key:` in a template, template lines dropped.
fn block(template: &str, key: &str) -> Value {
    let mut lines = template
        .lines()
        .skip_while(|l| l.trim() != format!("{key}:"));
    let head = lines.next().expect("key present");
    let indent = head.len() - head.trim_start().len();
    let body: Vec<&str> = lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
        .filter(|l| !l.contains("{{"))
        .collect();
    let docs = kds_webhook::manifest::parse_documents(&body.join("\n")).expect("block yaml");
    docs.into_iter().next().expect("block")
}

#[test]
fn webhook_templates_state_the_same_rules_and_settings() {
    let helpers = read("templates/_helpers.tpl");
    let webhooks = read("templates/webhooks.yaml");
    let hook = &installation()["mutating"]["webhooks"][0];
    assert_eq!(block(&helpers, "rules"), hook["rules"]);
    for line in [
        "admissionReviewVersions: [\"v1\"]",
        "matchPolicy: Equivalent",
        "sideEffects: None",
        "key: kubernetes.io/metadata.name",
        "operator: NotIn",
        "(list .Release.Namespace \"kube-system\")",
    ] {
        assert!(helpers.contains(line), "_helpers.tpl lacks {line}");
    }
    for text in [
        format!("name: {}", install::MUTATING_WEBHOOK_NAME),
        format!("name: {}", install::VALIDATING_WEBHOOK_NAME),
        format!("\"path\" \"{}\"", install::MUTATE_PATH),
        format!("\"path\" \"{}\"", install::VALIDATE_PATH),
        "reinvocationPolicy: Never".to_owned(),
    ] {
        assert!(webhooks.contains(&text), "webhooks.yaml lacks {text}");
    }
    assert!(helpers.contains("printf \"%s-tls\""), "TLS Secret name");
}

#[test]
fn deployment_template_states_the_same_pod() {
    let t = read("templates/deployment.yaml");
    let i = installation();
    let pod = &i["deployment"]["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(block(&t, "strategy"), i["deployment"]["spec"]["strategy"]);
    let mut probe = c["livenessProbe"].clone();
    probe["httpGet"]["port"] = json!("admin");
    assert_eq!(block(&t, "livenessProbe"), probe);
    assert_eq!(block(&t, "readinessProbe"), c["readinessProbe"]);
    let args = c["args"].as_array().expect("args");
    for arg in args.iter().filter_map(Value::as_str) {
        let templated = arg
            .replace("8443", "{{ .Values.containerPorts.https }}")
            .replace("8080", "{{ .Values.containerPorts.admin }}")
            .replace(
                install::SHUTDOWN_TIMEOUT,
                "{{ .Values.server.shutdownTimeout }}",
            );
        assert!(t.contains(&format!("- {templated}\n")), "arg {arg}");
    }
    for text in [
        "name: webhook",
        "topologyKey: kubernetes.io/hostname",
        "whenUnsatisfiable: ScheduleAnyway",
        "matchLabelKeys: [\"pod-template-hash\"]",
        "mountPath: /certs",
        "mountPath: /policy",
        "- --policy=/policy/policy.yaml",
        "automountServiceAccountToken: {{ .Values.accessChecks.enabled }}",
        "name: KDS_WEBHOOK_ACCESS_CHECKS",
        "name: KDS_WEBHOOK_LOG_LEVEL",
        "name: KDS_WEBHOOK_LOG_FORMAT",
        "checksum/tls:",
        "checksum/policy:",
    ] {
        assert!(t.contains(text), "deployment.yaml lacks {text}");
    }
    assert!(read("templates/pdb.yaml").contains("unhealthyPodEvictionPolicy: AlwaysAllow"));
    assert!(read("templates/serviceaccount.yaml").contains("automountServiceAccountToken: false"));
    assert_eq!(
        pod["automountServiceAccountToken"], true,
        "with the access checks"
    );
}

#[test]
fn shared_cluster_objects_state_the_same_rules() {
    let v = values();
    let opts = Options::new("kds-system", Tls::CaBundle(String::new()));
    assert_eq!(v["accessChecks"]["enabled"], opts.access_checks);
    assert_eq!(v["driftGuard"]["enabled"], opts.drift_guard);
    assert_eq!(
        v["driftGuard"]["breakGlassGroups"],
        json!(opts.break_glass_groups)
    );
    let rbac = read("templates/rbac.yaml");
    for text in [
        "name: {{ include \"kds-webhook.fullname\" . }}-access-reviews",
        "apiGroups: [\"authorization.k8s.io\"]",
        "resources: [\"subjectaccessreviews\"]",
        "verbs: [\"create\"]",
    ] {
        assert!(rbac.contains(text), "rbac.yaml lacks {text}");
    }
    // The expressions without template values appear verbatim; the rest are compared
    // rendered, in CI (.ci/compare-chart.py).
    let guard = read("templates/drift-guard.yaml");
    for (expression, message) in install::access::validations() {
        assert!(
            guard.contains(&format!("expression: {expression:?}")),
            "{expression}"
        );
        if !message.contains(kds_webhook::naming::OWNER_NAME_LABEL) {
            assert!(
                guard.contains(&format!("messageExpression: {message:?}")),
                "{message}"
            );
        }
    }
    for (group, resources) in install::access::GUARDED {
        let quoted: Vec<String> = resources.iter().map(|r| format!("{r:?}")).collect();
        assert!(
            guard.contains(&format!("- apiGroups: [{group:?}]")),
            "{group}"
        );
        assert!(
            guard.contains(&format!("resources: [{}]", quoted.join(", "))),
            "{group}"
        );
    }
}

#[test]
fn every_values_key_is_documented() {
    let text = read("values.yaml");
    let lines: Vec<&str> = text.lines().collect();
    let mut undocumented = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let is_key = t
            .split_once(':')
            .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric()));
        if t.starts_with('#') || t.starts_with('-') || !is_key {
            continue;
        }
        let comment: Vec<&str> = lines[..n]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with('#'))
            .copied()
            .collect();
        if !comment.iter().any(|l| l.trim_start().starts_with("# --")) {
            undocumented.push(format!("{}: {line}", n + 1));
        }
    }
    assert!(
        undocumented.is_empty(),
        "keys without a `# --` comment:\n{}",
        undocumented.join("\n")
    );
}

fn schema_walk(schema: &Value, value: &Value, path: &str, errs: &mut Vec<String>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    if schema.get("additionalProperties") != Some(&Value::Bool(false)) {
        errs.push(format!("{path}: additionalProperties is not false"));
    }
    for (k, sub) in props {
        if let Some(v) = value.get(k) {
            schema_walk(sub, v, &format!("{path}.{k}"), errs);
        }
    }
    if let Some(obj) = value.as_object() {
        for k in obj.keys().filter(|k| !props.contains_key(*k)) {
            errs.push(format!("{path}.{k}: in values.yaml, not in the schema"));
        }
    }
}

#[test]
fn schema_is_closed_and_covers_every_value() {
    let schema: Value = serde_json::from_str(&read("values.schema.json")).expect("json");
    let mut errs = Vec::new();
    schema_walk(&schema, &values(), "", &mut errs);
    assert!(errs.is_empty(), "{errs:#?}");
    let enums = |p: &str| schema.pointer(p).cloned().unwrap_or_default();
    assert_eq!(
        enums("/properties/tls/properties/mode/enum"),
        json!(["helm", "cert-manager", "secret"])
    );
    assert_eq!(
        enums("/properties/webhook/properties/failurePolicy/enum"),
        json!(["Fail", "Ignore"])
    );
    assert_eq!(
        enums("/properties/log/properties/format/enum"),
        json!(["plain", "json"])
    );
    let required = enums("/required");
    for key in ["replicaCount", "image", "tls", "webhook", "resources"] {
        assert!(
            required.as_array().is_some_and(|r| r.contains(&json!(key))),
            "{key} not required"
        );
    }
}

#[test]
fn validate_template_covers_the_documented_mistakes() {
    let t = read("templates/_validate.tpl");
    for needle in [
        "tls.mode=secret needs tls.secretName",
        "tls.mode=secret needs tls.caBundle",
        "replicaCount must be at least 1",
        "podDisruptionBudget.enabled needs replicaCount >= 2",
        "must be shorter than terminationGracePeriodSeconds",
    ] {
        assert!(t.contains(needle), "_validate.tpl lacks: {needle}");
    }
    assert!(read("templates/deployment.yaml").starts_with("{{- include \"kds-webhook.validate\""));
}
