//! Property tests over generated `KubernetesDaemonSet`s, plausible and implausible alike:
//! defaulting is idempotent, its JSON patch reproduces it, anything that validates expands,
//! every DaemonSet selects its own pods, no input at all makes the pipeline panic, and
//! `admission::review` answers every body properly (400 for non-reviews, a complete reply for
//! every review).
//!
//! Case counts are kept moderate for CI's two cores; raise them locally with
//! `PROPTEST_CASES=2000 cargo test --test integration properties::`.

use kds_webhook::api::{API_VERSION, KIND, KubernetesDaemonSet};
use kds_webhook::{defaulting, engine, expansion, manifest, validation};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

type Field = (&'static str, BoxedStrategy<Option<Value>>);

fn opt(name: &'static str, s: impl Strategy<Value = Value> + 'static) -> Field {
    (name, prop::option::weighted(0.6, s).boxed())
}

fn req(name: &'static str, s: impl Strategy<Value = Value> + 'static) -> Field {
    (name, s.prop_map(Some).boxed())
}

fn obj(fields: Vec<Field>) -> BoxedStrategy<Value> {
    let (names, strategies): (Vec<&'static str>, Vec<_>) = fields.into_iter().unzip();
    strategies
        .prop_map(move |values| {
            let m: Map<String, Value> = names
                .iter()
                .zip(values)
                .filter_map(|(n, v)| v.map(|v| ((*n).to_owned(), v)))
                .collect();
            Value::Object(m)
        })
        .boxed()
}

/// A string from a list of meaningful values, or an arbitrary short one.
fn s(choices: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![
        4 => prop::sample::select(choices).prop_map(Value::from),
        1 => "[a-zA-Z0-9./%:_-]{0,12}".prop_map(Value::from),
    ]
    .boxed()
}

fn int() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => prop::sample::select(vec![0, 1, -1, 3, 80, 9100, 65535, 65536]).prop_map(Value::from),
        1 => any::<i32>().prop_map(Value::from),
    ]
    .boxed()
}

fn boolean() -> BoxedStrategy<Value> {
    any::<bool>().prop_map(Value::from).boxed()
}

fn list(s: impl Strategy<Value = Value> + 'static, max: usize) -> BoxedStrategy<Value> {
    prop::collection::vec(s, 0..=max)
        .prop_map(Value::from)
        .boxed()
}

fn map(
    keys: &'static [&'static str],
    v: impl Strategy<Value = Value> + 'static,
) -> BoxedStrategy<Value> {
    prop::collection::btree_map(prop::sample::select(keys).prop_map(String::from), v, 0..=3)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
        .boxed()
}

const QUANTITIES: &[&str] = &[
    "1", "500m", "0.1m", "1Gi", "-1", "lots", "1e3", "0", "100Mi", "2.5", "1000E",
];
const NAMES: &[&str] = &["agent", "a", "logs", "x-1", "", "Bad_Name", "metrics"];
const ENV_NAMES: &[&str] = &["A", "HOSTNAME", "LOG_LEVEL", "K8S_NODE_NAME", "1BAD", ""];

fn cpu_memory() -> BoxedStrategy<Value> {
    obj(vec![
        opt("cpu", s(QUANTITIES)),
        opt("memory", s(QUANTITIES)),
    ])
}

fn resources() -> BoxedStrategy<Value> {
    obj(vec![
        opt("limits", cpu_memory()),
        opt("requests", cpu_memory()),
    ])
}

fn probe() -> BoxedStrategy<Value> {
    let port = || obj(vec![opt("port_number", int()), opt("port_name", s(NAMES))]);
    obj(vec![
        opt("initial_delay_seconds", int()),
        opt("period_seconds", int()),
        opt("timeout_seconds", int()),
        opt("success_threshold", int()),
        opt("failure_threshold", int()),
        opt(
            "http_get",
            (
                port(),
                prop::option::of(s(&["/", "/healthz", ""])),
                prop::option::of(s(&["HTTP", "HTTPS", "ftp"])),
            )
                .prop_map(|(mut p, path, scheme)| {
                    if let (Some(m), Some(v)) = (p.as_object_mut(), path) {
                        m.insert("path".into(), v);
                    }
                    if let (Some(m), Some(v)) = (p.as_object_mut(), scheme) {
                        m.insert("scheme".into(), v);
                    }
                    p
                }),
        ),
        opt(
            "grpc",
            obj(vec![opt("port", int()), opt("service", s(&["", "health"]))]),
        ),
        opt("tcp_socket", port()),
        opt(
            "exec",
            obj(vec![opt("command", list(s(&["true", "cat"]), 2))]),
        ),
    ])
}

fn volume_mount() -> BoxedStrategy<Value> {
    let key_source = || {
        obj(vec![
            opt("name", s(NAMES)),
            opt("key", s(&["conf", ""])),
            opt("path", s(&["a.conf", "", "../x"])),
            opt("default_mode", int()),
        ])
    };
    let host_path = prop_oneof![
        s(&["/var/log", "", "relative"]),
        obj(vec![
            opt("path", s(&["/proc", ""])),
            opt("type", s(&["", "Directory", "FileOrCreate", "Bogus"]))
        ]),
    ];
    obj(vec![
        opt("name", s(NAMES)),
        opt("mount_path", s(&["/data", "", "rel"])),
        opt("read_only", boolean()),
        opt("sub_path", s(&["sub", "", "../up"])),
        opt("config_map", key_source()),
        opt("secret", key_source()),
        opt("host_path", host_path),
        opt(
            "empty_dir",
            obj(vec![
                opt("medium", s(&["", "Memory", "Disk"])),
                opt("size_limit", s(QUANTITIES)),
            ]),
        ),
        opt(
            "pvc",
            obj(vec![
                opt("claim_name", s(NAMES)),
                opt("read_only", boolean()),
            ]),
        ),
    ])
}

fn env() -> BoxedStrategy<Value> {
    let variable = prop_oneof![
        s(&["info", ""]).prop_map(|v| json!({"value": v})),
        Just(json!({"value_from": {"name": "ns"}})),
        Just(json!({})),
    ];
    let secret = prop_oneof![
        s(&["s3cr3t", ""]).prop_map(|v| json!({"value": v})),
        Just(json!({"secret_ref": {"name": "db", "key": "pw"}})),
        Just(json!({"secret_ref": {"namespace": "other", "name": "", "key": ""}})),
        Just(json!({})),
    ];
    obj(vec![
        opt("variables", map(ENV_NAMES, variable)),
        opt("secrets", map(ENV_NAMES, secret)),
    ])
}

fn app() -> BoxedStrategy<Value> {
    let image = obj(vec![
        opt("repo", s(&["nginx", "ghcr.io/acme/agent", "Bad/Repo", ""])),
        opt(
            "tag",
            s(&["1.0", "latest", "sha256:abc", "v1@sha256:abc", ""]),
        ),
        opt("pull_secret_name", s(NAMES)),
    ]);
    let port = obj(vec![
        opt("name", s(NAMES)),
        opt("container_port", int()),
        opt("network_protocol", s(&["TCP", "UDP", "SCTP", "tcp", ""])),
        opt("host_port", int()),
    ]);
    let security = obj(vec![
        opt("privileged", boolean()),
        opt("run_as_user", int()),
        opt("run_as_group", int()),
        opt("run_as_non_root", boolean()),
        opt("read_only_root_filesystem", boolean()),
        opt(
            "capabilities",
            obj(vec![
                opt("add", list(s(&["NET_ADMIN", "CAP_SYS_ADMIN"]), 2)),
                opt("drop", list(s(&["ALL"]), 1)),
            ]),
        ),
    ]);
    obj(vec![
        opt("image", image),
        opt("resources", resources()),
        opt("env", env()),
        opt("ports", list(port, 3)),
        opt("volume_mounts", list(volume_mount(), 3)),
        opt("liveness_probe", probe()),
        opt("readiness_probe", probe()),
        opt("startup_probe", probe()),
        opt("command", list(s(&["/bin/agent"]), 2)),
        opt("args", list(s(&["--v=2"]), 2)),
        opt("security_context", security),
    ])
}

fn sidecar() -> BoxedStrategy<Value> {
    obj(vec![
        opt("name", s(NAMES)),
        opt("image", s(&["envoy:v1", "busybox", ""])),
        opt(
            "ports",
            list(
                obj(vec![
                    opt("name", s(NAMES)),
                    opt("container_port", int()),
                    opt("protocol", s(&["TCP", "", "x"])),
                ]),
                2,
            ),
        ),
        opt("resources", resources()),
        opt(
            "env",
            list(
                obj(vec![opt("name", s(ENV_NAMES)), opt("value", s(&["1", ""]))]),
                2,
            ),
        ),
    ])
}

fn rules() -> BoxedStrategy<Value> {
    let strs = |c: &'static [&'static str]| list(s(c), 2);
    list(
        obj(vec![
            opt("api_groups", strs(&["", "apps"])),
            opt("resources", strs(&["pods", "namespaces"])),
            opt("verbs", strs(&["get", "list", "watch"])),
            opt("resource_names", strs(&["x"])),
        ]),
        2,
    )
}

fn spec() -> BoxedStrategy<Value> {
    let toleration = obj(vec![
        opt(
            "key",
            s(&["node-role.kubernetes.io/control-plane", "", "bad key"]),
        ),
        opt("operator", s(&["", "Equal", "Exists", "bogus"])),
        opt("value", s(&["", "true"])),
        opt("effect", s(&["", "NoSchedule", "NoExecute", "Never"])),
        opt("toleration_seconds", int()),
    ]);
    let int_or_string = prop_oneof![
        int(),
        s(&["1", "0", "10%", "101%", "abc", "+5", "", "2147483648"])
    ];
    let strategy = obj(vec![
        opt("type", s(&["RollingUpdate", "OnDelete", "", "Random"])),
        opt(
            "rolling_update",
            obj(vec![
                opt("max_unavailable", int_or_string.clone()),
                opt("max_surge", int_or_string),
            ]),
        ),
    ]);
    let head = obj(vec![
        opt(
            "namespace",
            s(&["ops", "", "Bad NS"]).prop_map(|v| json!({"value": v})),
        ),
        opt("create_namespace", boolean()),
        req(
            "container",
            obj(vec![req("app", app()), opt("sidecars", list(sidecar(), 2))]),
        ),
        opt(
            "node_selector",
            map(&["kubernetes.io/os", "bad key!"], s(&["linux", ""])),
        ),
        opt("tolerations", list(toleration, 3)),
        opt("update_strategy", strategy),
    ]);
    let tail = obj(vec![
        opt("min_ready_seconds", int()),
        opt("create_service_account", boolean()),
        opt("service_account_name", s(NAMES)),
        opt(
            "config_maps",
            map(&["cfg", "vector-config", "Bad"], s(&["a: 1", ""])),
        ),
        opt(
            "rbac",
            obj(vec![
                opt("cluster_rules", rules()),
                opt("namespace_rules", rules()),
            ]),
        ),
    ]);
    (head, tail)
        .prop_map(|(mut h, t)| {
            if let (Some(h), Value::Object(t)) = (h.as_object_mut(), t) {
                h.extend(t);
            }
            h
        })
        .boxed()
}

fn manifest_value() -> BoxedStrategy<Value> {
    let metadata = obj(vec![
        req("name", s(NAMES)),
        opt("namespace", s(&["team-a", ""])),
    ]);
    (metadata, spec())
        .prop_map(|(metadata, spec)| {
            json!({"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": spec})
        })
        .boxed()
}

fn decode(v: &Value) -> KubernetesDaemonSet {
    match manifest::decode(v.clone()) {
        Ok(kds) => kds,
        Err(e) => panic!("generator produced an undecodable object: {e}\n{v:#}"),
    }
}

fn defaulted(v: &Value) -> KubernetesDaemonSet {
    let mut kds = decode(v);
    defaulting::apply_defaults(&mut kds);
    kds
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn defaulting_is_idempotent(v in manifest_value()) {
        let once = defaulted(&v);
        let mut twice = once.clone();
        defaulting::apply_defaults(&mut twice);
        prop_assert_eq!(manifest::to_value(&once), manifest::to_value(&twice));
    }

    #[test]
    fn the_defaulting_patch_reproduces_the_defaulted_object(v in manifest_value()) {
        let want = manifest::to_value(&defaulted(&v));
        let raw = manifest::to_value(&decode(&v));
        let mut patched = raw.clone();
        json_patch::patch(&mut patched, &json_patch::diff(&raw, &want)).expect("patch applies");
        prop_assert_eq!(patched, want);
    }

    #[test]
    fn anything_that_validates_expands_and_selects_its_own_pods(v in manifest_value()) {
        let kds = defaulted(&v);
        if validation::validate(&kds).is_empty() {
            let e = expansion::expand(&kds);
            prop_assert!(e.is_ok(), "{:?}", e.err());
            let objects = e.map(|e| e.objects()).unwrap_or_default();
            let ds = objects.last().cloned().unwrap_or_default();
            prop_assert_eq!(&ds["kind"], "DaemonSet");
            let labels = &ds["spec"]["template"]["metadata"]["labels"];
            let selector = ds["spec"]["selector"]["matchLabels"].as_object().cloned().unwrap_or_default();
            prop_assert!(!selector.is_empty());
            for (k, want) in selector {
                prop_assert_eq!(&labels[&k], &want);
            }
            // Deterministic: the same input expands to the same bytes.
            let again = expansion::expand_values(&kds).unwrap_or_default();
            prop_assert_eq!(objects, again);
        }
    }
}

/// Arbitrary JSON under the known field names, to get past the first unknown-field error.
fn json_tree() -> impl Strategy<Value = Value> {
    const KEYS: &[&str] = &[
        "container",
        "app",
        "image",
        "repo",
        "tag",
        "ports",
        "volume_mounts",
        "host_path",
        "path",
        "namespace",
        "value",
        "update_strategy",
        "rolling_update",
        "max_unavailable",
        "resources",
        "limits",
        "cpu",
        "env",
        "secrets",
        "tolerations",
        "http_get",
        "liveness_probe",
        "rbac",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(KEYS).prop_map(String::from),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The whole pipeline on arbitrary text: it may reject, never panic.
fn run_pipeline(text: &str) {
    if let Ok(docs) = manifest::load(text) {
        for d in docs {
            if let Ok(kds) = d.decoded {
                let checked = engine::check(kds, None);
                let _ = engine::render(&checked);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        run_pipeline(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_json_specs_never_panic(spec in json_tree()) {
        let doc = json!({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "a"}, "spec": spec});
        run_pipeline(&doc.to_string());
        run_pipeline(&kds_webhook::yaml::to_yaml(&doc).unwrap_or_default());
    }
}

/// The webhook's typed `/mutate` patch (`admission::patch::typed_spec_patch`), applied to the
/// raw snake_case JSON, yields exactly the defaulted object, and is empty iff defaulting
/// changed nothing; the same holds end to end through `admission::review`, whichever of its
/// paths (typed or `Value` diff) the object takes.
mod typed_patch {
    use super::*;
    use base64::Engine as _;
    use kds_webhook::admission::{self, Context, Webhook, patch};

    fn review_body(object: &Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {
                "uid": "u", "operation": "CREATE", "name": "a", "namespace": "team-a",
                "kind": {"group": "kubernetes.project-planton.org", "version": "v1",
                         "kind": "KubernetesDaemonSet"},
                "object": object,
            }
        }))
        .expect("json")
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn typed_patch_applied_to_raw_json_gives_the_defaulted_object(v in manifest_value()) {
            let received = decode(&v);
            let want = defaulted(&v);
            let typed = patch::typed_spec_patch(&received.spec, &want.spec);
            prop_assert_eq!(typed.is_none(), received.spec == want.spec);
            let mut patched = v.clone();
            if let Some(p) = &typed {
                let ops: json_patch::Patch = serde_json::from_slice(p.json()).expect("patch json");
                prop_assert_eq!(ops.0.len(), p.ops());
                prop_assert!(!ops.0.is_empty());
                json_patch::patch(&mut patched, &ops).expect("patch applies");
            }
            prop_assert_eq!(&patched["spec"], &manifest::to_value(&want)["spec"]);
        }

        #[test]
        fn the_webhook_patch_gives_the_defaulted_object(v in manifest_value()) {
            let reply = admission::review(&review_body(&v), Webhook::Mutate, &Context::default());
            let out: Value = serde_json::from_slice(&reply.body).expect("reply json");
            let response = &out["response"];
            prop_assert_eq!(&response["allowed"], true);
            let mut patched = v.clone();
            if let Some(b64) = response["patch"].as_str() {
                let raw = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
                let p: json_patch::Patch = serde_json::from_slice(&raw).expect("patch");
                prop_assert!(!p.0.is_empty());
                json_patch::patch(&mut patched, &p).expect("patch applies");
            }
            let want = defaulted(&v);
            prop_assert_eq!(&patched["spec"], &manifest::to_value(&want)["spec"]);
            prop_assert_eq!(response.get("patch").is_none(), decode(&v).spec == want.spec);
        }

        /// The fast (typed) and the slow (`Value`) decode judge alike: `metadata.slug`, a
        /// Planton extra that `manifest::decode` drops, sends the same object down the slow
        /// path, and `/validate` must answer byte for byte the same.
        #[test]
        fn validate_answers_the_same_on_both_decode_paths(v in manifest_value()) {
            let mut slow = v.clone();
            slow["metadata"]["slug"] = json!("x");
            let ctx = Context::default();
            let fast_reply = admission::review(&review_body(&v), Webhook::Validate, &ctx);
            let slow_reply = admission::review(&review_body(&slow), Webhook::Validate, &ctx);
            prop_assert_eq!(
                String::from_utf8_lossy(&fast_reply.body),
                String::from_utf8_lossy(&slow_reply.body)
            );
        }
    }
}

/// "Nothing is lost": whatever arrives, `admission::review` answers. A body that is not an
/// AdmissionReview gets HTTP 400; every review (however broken its object, old object, kind or
/// operation) gets HTTP 200 with the uid echoed and a boolean verdict, never a patch on
/// /validate, and on /mutate only a patch that decodes and applies to the object sent.
mod review_always_answers {
    use super::*;
    use base64::Engine as _;
    use kds_webhook::admission::{self, Context, Webhook};

    fn object() -> impl Strategy<Value = Value> {
        prop_oneof![
            manifest_value(),
            json_tree().prop_map(|spec| json!({
                "apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "a"}, "spec": spec
            })),
            json_tree(),
        ]
    }

    fn envelope() -> impl Strategy<Value = Value> {
        let kind = prop_oneof![
            Just(json!({"group": "kubernetes.project-planton.org", "version": "v1", "kind": KIND})),
            Just(json!({"group": "apps", "version": "v1", "kind": "DaemonSet"})),
        ];
        let op = prop::sample::select(&["CREATE", "UPDATE", "DELETE", "CONNECT", "PATCH"][..]);
        (
            object(),
            prop::option::of(object()),
            kind,
            op,
            any::<bool>(),
        )
            .prop_map(|(object, old, kind, op, dry_run)| {
                json!({
                    "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                    "request": {
                        "uid": "3b1f9e0c-5d2a-4f8e-9c7b-1a2b3c4d5e6f", "kind": kind,
                        "operation": op, "name": "a", "namespace": "team-a",
                        "object": object, "oldObject": old, "dryRun": dry_run
                    }
                })
            })
    }

    fn check(body: &[u8], object: Option<&Value>) -> Result<(), TestCaseError> {
        for webhook in [Webhook::Mutate, Webhook::Validate] {
            let reply = admission::review(body, webhook, &Context::default());
            prop_assert!(
                reply.status == 200 || reply.status == 400,
                "status {}",
                reply.status
            );
            prop_assert!(!reply.body.is_empty());
            if reply.status != 200 {
                continue;
            }
            let v: Value = serde_json::from_slice(&reply.body).expect("200 is an AdmissionReview");
            let r = &v["response"];
            prop_assert_eq!(&v["kind"], "AdmissionReview");
            prop_assert_eq!(&r["uid"], "3b1f9e0c-5d2a-4f8e-9c7b-1a2b3c4d5e6f");
            prop_assert!(r["allowed"].is_boolean());
            match (webhook, r.get("patch")) {
                (Webhook::Validate, patch) => {
                    prop_assert!(patch.is_none() && r.get("patchType").is_none());
                }
                (Webhook::Mutate, Some(p)) => {
                    prop_assert_eq!(&r["patchType"], "JSONPatch");
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(p.as_str().expect("base64 string"))
                        .expect("standard base64");
                    let patch: json_patch::Patch = serde_json::from_slice(&raw).expect("RFC 6902");
                    let mut patched = object.cloned().expect("a patch needs an object");
                    prop_assert!(json_patch::patch(&mut patched, &patch).is_ok());
                }
                (Webhook::Mutate, None) => prop_assert!(r.get("patchType").is_none()),
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn any_bytes_get_an_answer(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            check(&bytes, None)?;
        }

        #[test]
        fn any_review_gets_a_proper_answer(review in envelope()) {
            let body = serde_json::to_vec(&review).expect("json");
            check(&body, Some(&review["request"]["object"]))?;
        }
    }
}
