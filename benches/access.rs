//! The cost of the access stage: one `/validate` review (the pure `admission::review`, then
//! the SubjectAccessReviews the object needs and the verdict, as the server's route runs
//! them) against a loopback mock API server (plain HTTP on 127.0.0.1, kube's real client
//! stack), with and without cached answers, next to a baseline in the same run: the same
//! object without anything to check (no API call).
//!
//!     cargo bench --bench access
//!
//! Cases: `none` (baseline, no review needed), `one` (the seed example with
//! `create_namespace: true`, for an administrator: 1 review), `several` (a tenant's object
//! granting three namespace permissions: escalate and bind, then the three rules: 5 reviews in
//! two rounds). `uncached` keeps no answer (TTL 0), `cached` reuses them (TTL 1 h).

// criterion_group! generates an undocumented public function.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "../tests/access/loopback.rs"]
mod loopback;
#[path = "../tests/access/mock.rs"]
mod mock;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use kds_webhook::access::{AccessChecker, UserInfo};
use kds_webhook::admission::{self, Context, Webhook};
use serde_json::{Value, json};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SEED: &[u8] = include_bytes!("../tests/fixtures/reviews/create-seed.json");

fn rules() -> Vec<mock::Rule> {
    vec![
        mock::Rule {
            subject: "kubeadm:cluster-admins",
            verbs: &["*"],
            groups: &["*"],
            resources: &["*"],
            namespace: None,
        },
        mock::Rule {
            subject: "system:serviceaccount:logging:tenant",
            verbs: &["get", "list", "watch"],
            groups: &[""],
            resources: &["configmaps"],
            namespace: Some("logging"),
        },
    ]
}

fn bodies() -> [(&'static str, Vec<u8>); 3] {
    let seed: Value = serde_json::from_slice(SEED).unwrap();
    let mut none = seed.clone();
    none["request"]["object"]["spec"]["create_namespace"] = false.into();
    let mut several = none.clone();
    several["request"]["userInfo"] = json!({"username": "system:serviceaccount:logging:tenant",
        "groups": ["system:serviceaccounts", "system:authenticated"]});
    several["request"]["object"]["spec"]["create_service_account"] = true.into();
    several["request"]["object"]["spec"]["rbac"] = json!({"namespace_rules": [
        {"api_groups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]});
    [
        ("none", serde_json::to_vec(&none).unwrap()),
        ("one", SEED.to_vec()),
        ("several", serde_json::to_vec(&several).unwrap()),
    ]
}

/// One `/validate` review with its access stage, as `server::routes` runs it.
async fn validate(checker: &AccessChecker, body: &[u8]) -> admission::Reply {
    let mut reply = admission::review(body, Webhook::Validate, &Context::default());
    if let Some(pending) = reply.access.take() {
        let user = UserInfo::from_review(body).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let errs = checker.check(&pending.plan, &user, deadline).await.unwrap();
        if !errs.is_empty() {
            reply = pending.denied(reply.summary, &errs);
        }
    }
    reply
}

fn access(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let api = rt.block_on(loopback::start(rules()));
    let client = rt.block_on(async {
        let url = format!("http://{}", api.addr).parse().unwrap();
        kube::Client::try_from(kube::Config::new(url)).unwrap()
    });
    let mut group = c.benchmark_group("access");
    for (cache, ttl) in [
        ("uncached", Duration::ZERO),
        ("cached", Duration::from_secs(3600)),
    ] {
        let checker = AccessChecker::new(client.clone(), ttl);
        for (case, body) in bodies() {
            if case == "none" && cache == "cached" {
                continue;
            }
            let label = if case == "none" {
                "none (baseline)".to_owned()
            } else {
                format!("{case}/{cache}")
            };
            group.bench_function(label, |b| {
                b.iter(|| rt.block_on(validate(&checker, black_box(&body))))
            });
        }
    }
    group.finish();
    eprintln!("loopback API server answered {} reviews", api.calls());
}

criterion_group!(benches, access);
criterion_main!(benches);
