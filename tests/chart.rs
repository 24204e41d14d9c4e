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
        "controller": objs.iter().find(|o| o["kind"] == "Deployment"
            && o["metadata"]["name"] == "kds-webhook-controller"),
        "controllerPdb": objs.iter().find(|o| o["kind"] == "PodDisruptionBudget"
            && o["metadata"]["name"] == "kds-webhook-controller"),
        "clusterRole": objs.iter().find(|o| o["kind"] == "ClusterRole"
            && o["metadata"]["name"] == "kds-webhook-controller"),
        "role": objs.iter().find(|o| o["kind"] == "Role"),
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
    for key in [
        "replicaCount",
        "image",
        "tls",
        "webhook",
        "resources",
        "controller",
    ] {
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

/// The controller's env var `name`'s value in the manifests' Deployment.
fn controller_env(i: &Value, name: &str) -> Value {
    let env = &i["controller"]["spec"]["template"]["spec"]["containers"][0]["env"];
    env.as_array()
        .expect("env")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))["value"]
        .clone()
}

/// A values list as the comma-separated value the chart's `join "," ...` renders.
fn joined(list: &Value) -> Value {
    let items: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    json!(items.join(","))
}

#[test]
fn controller_defaults_match_manifests() {
    let v = &values()["controller"];
    let i = installation();
    let d = &i["controller"]["spec"];
    let pod = &d["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(v["enabled"], true);
    assert_eq!(v["replicas"], d["replicas"]);
    assert_eq!(v["adminPort"], c["ports"][0]["containerPort"]);
    assert_eq!(
        v["terminationGracePeriodSeconds"],
        pod["terminationGracePeriodSeconds"]
    );
    assert_eq!(v["resources"], c["resources"]);
    assert_eq!(
        v["log"]["level"],
        controller_env(&i, "KDS_WEBHOOK_LOG_LEVEL")
    );
    assert_eq!(
        v["log"]["format"],
        controller_env(&i, "KDS_WEBHOOK_LOG_FORMAT")
    );
    assert_eq!(
        json!(v["leaderElect"].to_string()),
        controller_env(&i, "KDS_WEBHOOK_LEADER_ELECT")
    );
    assert_eq!(
        json!(v["concurrency"].to_string()),
        controller_env(&i, "KDS_WEBHOOK_CONCURRENCY")
    );
    assert_eq!(
        v["requeueInterval"],
        controller_env(&i, "KDS_WEBHOOK_REQUEUE_INTERVAL")
    );
    for (key, var) in [
        ("allowCrossNamespace", "KDS_WEBHOOK_ALLOW_CROSS_NAMESPACE"),
        ("protectedNamespaces", "KDS_WEBHOOK_PROTECTED_NAMESPACES"),
        (
            "allowNamespaceCreation",
            "KDS_WEBHOOK_ALLOW_NAMESPACE_CREATION",
        ),
        ("allowClusterRbac", "KDS_WEBHOOK_ALLOW_CLUSTER_RBAC"),
    ] {
        assert_eq!(joined(&v["scope"][key]), controller_env(&i, var), "{key}");
    }
    for key in ["repository", "tag", "digest", "pullPolicy"] {
        assert_eq!(v["image"][key], "", "controller.image.{key} inherits");
    }
    assert_eq!(
        values()["podDisruptionBudget"]["maxUnavailable"],
        i["controllerPdb"]["spec"]["maxUnavailable"]
    );
}

/// The template's YAML documents (split at `---`).
fn documents(template: &str) -> Vec<String> {
    template.split("\n---\n").map(str::to_owned).collect()
}

#[test]
fn controller_rbac_template_states_the_same_rules() {
    let t = read("templates/controller-rbac.yaml");
    let docs = documents(&t);
    let i = installation();
    assert!(docs[0].contains("kind: ClusterRole\n"));
    assert_eq!(block(&docs[0], "rules"), i["clusterRole"]["rules"]);
    // The Role's resourceNames entry is templated (the Lease's name), so block() drops it.
    let role = docs
        .iter()
        .find(|d| d.contains("kind: Role\n"))
        .expect("Role");
    let mut expected = i["role"]["rules"].clone();
    assert_eq!(
        expected[1]["resourceNames"],
        json!(["kds-webhook-controller"])
    );
    expected[1]["resourceNames"] = Value::Null;
    assert_eq!(block(role, "rules"), expected);
    assert!(role.contains("    resourceNames:\n      - {{ $name }}"));
    assert!(role.contains("name: {{ $name }}-leader-election"));
    // Every rule carries a comment saying why.
    let rule_lines = t
        .lines()
        .filter(|l| l.trim_start().starts_with("- apiGroups:"));
    let lines: Vec<&str> = t.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("- apiGroups:") {
            assert!(
                lines[n - 1].trim_start().starts_with('#'),
                "rule without a reason: {line}"
            );
        }
    }
    assert_eq!(rule_lines.count(), 11);
}

#[test]
fn controller_deployment_template_states_the_same_pod() {
    let t = read("templates/controller-deployment.yaml");
    let i = installation();
    let spec = &i["controller"]["spec"];
    let c = &spec["template"]["spec"]["containers"][0];
    assert_eq!(block(&t, "strategy"), spec["strategy"]);
    assert_eq!(block(&t, "livenessProbe"), c["livenessProbe"]);
    assert_eq!(block(&t, "readinessProbe"), c["readinessProbe"]);
    for arg in c["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
    {
        let templated = arg.replace("8081", "{{ $c.adminPort }}");
        assert!(t.contains(&format!("- {templated}\n")), "arg {arg}");
    }
    // The same variables, in the same order.
    let names: Vec<&str> = t
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- name: KDS_WEBHOOK_"))
        .collect();
    let expected: Vec<String> = c["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|e| {
            e["name"]
                .as_str()?
                .strip_prefix("KDS_WEBHOOK_")
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(names, expected);
    for text in [
        "name: controller",
        "fieldPath: metadata.name",
        "fieldPath: metadata.namespace",
        "automountServiceAccountToken: true",
        "topologyKey: kubernetes.io/hostname",
        "matchLabelKeys: [\"pod-template-hash\"]",
        "toYaml .Values.podSecurityContext",
        "toYaml .Values.securityContext",
        "- --policy=/policy/policy.yaml",
        "mountPath: /policy",
        "checksum/policy:",
        "{{- include \"kds-webhook.controllerValidate\" . }}",
    ] {
        assert!(t.contains(text), "controller-deployment.yaml lacks {text}");
    }
    let pdb = read("templates/controller-pdb.yaml");
    assert!(pdb.contains("unhealthyPodEvictionPolicy: AlwaysAllow"));
    let sa = read("templates/controller-serviceaccount.yaml");
    assert!(sa.contains("automountServiceAccountToken: true"));
    let helpers = read("templates/_controller.tpl");
    assert!(helpers.contains("controller.leaderElect=false needs controller.replicas: 1"));
    assert!(helpers.contains("{{ include \"kds-webhook.name\" . }}-controller"));
}

#[test]
fn controller_is_switchable_and_tested_off_and_opened() {
    let off = kds_webhook::manifest::parse_documents(&read("ci/controller-off-values.yaml"))
        .expect("yaml");
    assert_eq!(off[0], json!({"controller": {"enabled": false}}));
    let scope = read("ci/controller-scope-values.yaml");
    assert!(
        scope.contains("allowClusterRbac:"),
        "a ci case opens the scope"
    );
    for t in [
        "controller-deployment.yaml",
        "controller-rbac.yaml",
        "controller-serviceaccount.yaml",
        "controller-pdb.yaml",
    ] {
        assert!(
            read(&format!("templates/{t}")).contains(".Values.controller.enabled"),
            "{t} is not switchable"
        );
    }
}

#[test]
fn readme_rbac_table_states_every_controller_rule() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    for (group, resources, verbs) in install::controller::rbac::CLUSTER_RULES {
        let group = if group.is_empty() { "\"\"" } else { group };
        let resources: Vec<String> = resources.iter().map(|r| format!("`{r}`")).collect();
        let row = format!(
            "| `{group}` | {} | {} |",
            resources.join(", "),
            verbs.join(", ")
        );
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
}
