//! `kds-webhook diff -f NEW --against OLD [--nodes N]` through the binary.

use crate::cli_support;

use cli_support::{example_text, run_in, tree};

fn versions(new: &str) -> tempfile::TempDir {
    tree(&[
        ("old.yaml", &example_text("log-shipper")),
        ("new.yaml", new),
    ])
}

#[test]
fn an_image_change_restarts_every_pod_at_the_strategys_pace() {
    let new = example_text("log-shipper")
        .replace("tag: 0.41.1-distroless-libc", "tag: 0.42.0-distroless-libc");
    let dir = versions(&new);
    let r = run_in(
        Some(dir.path()),
        &[
            "diff",
            "-f",
            "new.yaml",
            "--against",
            "old.yaml",
            "--nodes",
            "40",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "KubernetesDaemonSet/log-shipper:\n  ~ DaemonSet/observability/log-shipper\n      \
         spec.template.spec.containers[daemonset-container].image: \"timberio/vector:0.41.1-distroless-libc\" -> \"timberio/vector:0.42.0-distroless-libc\"\n  \
         rollout: pod template changes (image): every node's pod restarts, 1 at a time (maxUnavailable 1): 40 sequential restarts on 40 nodes\n"
    );
}

#[test]
fn a_config_change_touches_only_the_companion() {
    let new = example_text("log-shipper")
        .replace("data_dir: /var/lib/vector", "data_dir: /var/lib/vector2");
    let dir = versions(&new);
    let r = run_in(
        Some(dir.path()),
        &["diff", "-f", "new.yaml", "--against", "old.yaml"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("  ~ ConfigMap/observability/vector-config\n      data.vector-config: "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.ends_with(
            "  rollout: no pod restarts; only ConfigMap/observability/vector-config changes\n"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn without_against_it_previews_an_install_and_an_invalid_version_fails() {
    let dir = versions(&example_text("log-shipper"));
    let r = run_in(Some(dir.path()), &["diff", "-f", "new.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with(
            "KubernetesDaemonSet/log-shipper (new install):\n  + Namespace/observability\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .ends_with("  rollout: new DaemonSet: its pod starts on every node at once\n"),
        "{}",
        r.stdout
    );
    let same = run_in(
        Some(dir.path()),
        &["diff", "-f", "new.yaml", "--against", "old.yaml"],
    );
    assert!(
        same.stdout
            .ends_with("  rollout: no change to the expanded objects\n"),
        "{}",
        same.stdout
    );

    let broken = tree(&[
        ("new.yaml", &cli_support::invalid_manifest("x")),
        ("old.yaml", &cli_support::manifest("x")),
    ]);
    let r = run_in(
        Some(broken.path()),
        &["diff", "-f", "new.yaml", "--against", "old.yaml"],
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .starts_with("new.yaml:13:27: KubernetesDaemonSet/x: "),
        "{}",
        r.stderr
    );
}
