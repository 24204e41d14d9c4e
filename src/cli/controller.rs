//! `kds-webhook controller`: flags → [`Settings`] → [`run_until_signal`] on a tokio runtime.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::serve::duration;
use crate::controller::leader::LeaseSettings;
use crate::controller::run::{Settings, run_until_signal};
use crate::controller::scope::{self, Scope};

/// Where a pod's ServiceAccount namespace is mounted.
const SERVICE_ACCOUNT_NAMESPACE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
/// The lease namespace outside a pod, and without `KDS_WEBHOOK_POD_NAMESPACE`.
pub const DEFAULT_LEASE_NAMESPACE: &str = "kds-system";
/// The default admin address: not `serve`'s 8080, so both run side by side.
pub const DEFAULT_ADMIN_ADDR: &str = "0.0.0.0:8081";

/// Arguments of `controller`. Every flag can also be set through `KDS_WEBHOOK_<FLAG>`.
#[derive(Debug, clap::Args)]
pub struct ControllerArgs {
    /// Admin listen address (plain HTTP: /livez, /readyz, /metrics).
    #[arg(long, env = "KDS_WEBHOOK_ADMIN_ADDR", default_value = DEFAULT_ADMIN_ADDR, value_name = "ADDR")]
    pub admin_addr: String,
    /// Hold a coordination.k8s.io Lease so that exactly one replica reconciles
    /// (--leader-elect=false for a single replica).
    #[arg(long, env = "KDS_WEBHOOK_LEADER_ELECT", default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub leader_elect: bool,
    /// Namespace of the Lease [default: the pod's namespace, else kds-system].
    #[arg(long, env = "KDS_WEBHOOK_LEASE_NAMESPACE", value_name = "NAME")]
    pub lease_namespace: Option<String>,
    /// Name of the Lease.
    #[arg(
        long,
        env = "KDS_WEBHOOK_LEASE_NAME",
        default_value = "kds-controller",
        value_name = "NAME"
    )]
    pub lease_name: String,
    /// This replica's name in the Lease and in events [default: the hostname and process id].
    #[arg(long, env = "KDS_WEBHOOK_POD_NAME", value_name = "NAME")]
    pub identity: Option<String>,
    /// Policy file (the one `serve` uses, so both judge alike); reloaded when it changes.
    #[arg(long, env = "KDS_WEBHOOK_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// How often the policy file is checked for changes.
    #[arg(long, env = "KDS_WEBHOOK_RELOAD_INTERVAL", default_value = "3s", value_parser = duration, value_name = "DURATION")]
    pub reload_interval: Duration,
    /// Reconciles at once.
    #[arg(long, env = "KDS_WEBHOOK_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..), value_name = "N")]
    pub concurrency: u16,
    /// How often every object is reconciled again, to put back drift the watches missed.
    #[arg(long, env = "KDS_WEBHOOK_REQUEUE_INTERVAL", default_value = "5m", value_parser = duration, value_name = "DURATION")]
    pub requeue_interval: Duration,
    /// Namespaces (globs) whose KubernetesDaemonSets may deploy into another namespace.
    #[arg(long, env = "KDS_WEBHOOK_ALLOW_CROSS_NAMESPACE", value_delimiter = ',', default_values_t = scope::DEFAULT_OPEN.map(String::from), value_name = "GLOBS")]
    pub allow_cross_namespace: Vec<String>,
    /// Namespaces (globs) never deployed into by an object from another namespace.
    #[arg(long, env = "KDS_WEBHOOK_PROTECTED_NAMESPACES", value_delimiter = ',', default_values_t = scope::DEFAULT_PROTECTED.map(String::from), value_name = "GLOBS")]
    pub protected_namespaces: Vec<String>,
    /// Namespaces (globs) whose KubernetesDaemonSets may have their target namespace created.
    #[arg(long, env = "KDS_WEBHOOK_ALLOW_NAMESPACE_CREATION", value_delimiter = ',', default_values_t = scope::DEFAULT_OPEN.map(String::from), value_name = "GLOBS")]
    pub allow_namespace_creation: Vec<String>,
    /// Namespaces (globs) whose KubernetesDaemonSets may grant cluster-wide RBAC
    /// (spec.rbac.cluster_rules) [default: none].
    #[arg(
        long,
        env = "KDS_WEBHOOK_ALLOW_CLUSTER_RBAC",
        value_delimiter = ',',
        value_name = "GLOBS"
    )]
    pub allow_cluster_rbac: Vec<String>,
}

impl ControllerArgs {
    /// The settings these flags describe; `pod_namespace` is the pod's own namespace, if known.
    pub fn settings(self, pod_namespace: Option<String>) -> anyhow::Result<Settings> {
        let scope = Scope::new(
            &self.allow_cross_namespace,
            &self.protected_namespaces,
            &self.allow_namespace_creation,
            &self.allow_cluster_rbac,
        )
        .map_err(anyhow::Error::msg)?;
        let identity = self.identity.unwrap_or_else(default_identity);
        let leader_election = self.leader_elect.then(|| {
            let namespace = self
                .lease_namespace
                .or(pod_namespace)
                .unwrap_or_else(|| DEFAULT_LEASE_NAMESPACE.to_owned());
            LeaseSettings::new(namespace, self.lease_name, identity.clone())
        });
        Ok(Settings {
            admin_addr: self.admin_addr,
            leader_election,
            identity,
            policy: self.policy,
            reload_interval: self.reload_interval,
            concurrency: self.concurrency,
            requeue: self.requeue_interval,
            scope,
        })
    }
}

/// The pod's namespace: `KDS_WEBHOOK_POD_NAMESPACE` (the downward API), else the mounted
/// ServiceAccount's.
fn pod_namespace() -> Option<String> {
    std::env::var("KDS_WEBHOOK_POD_NAMESPACE")
        .ok()
        .or_else(|| std::fs::read_to_string(SERVICE_ACCOUNT_NAMESPACE).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// `<hostname>-<pid>`: unique per process, so two controllers on one machine never share an
/// identity (and so a lease). In a pod the pod name is passed instead.
fn default_identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "kds-controller".to_owned());
    format!("{host}-{}", std::process::id())
}

/// Runs `controller` until SIGTERM or SIGINT.
pub fn run(args: ControllerArgs, log: &crate::telemetry::LogArgs) -> anyhow::Result<ExitCode> {
    // Held until the controller has stopped, so that its last lines are written out.
    let _log = crate::telemetry::init(log)?;
    let settings = args.settings(pod_namespace())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the tokio runtime")?;
    match runtime.block_on(run_until_signal(settings)) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: {}", message(&e));
            Ok(ExitCode::from(crate::cli::EXIT_INVALID))
        }
    }
}

/// The error and its causes, each said once (kube's errors repeat their sources in their own
/// message, so a plain `{:#}` says the same thing three times).
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: ControllerArgs,
    }

    fn parse(args: &[&str]) -> ControllerArgs {
        let mut argv = vec!["controller"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("parses").args
    }

    #[test]
    fn defaults_lead_in_the_pods_namespace_with_a_safe_scope() {
        let s = parse(&[])
            .settings(Some("kds-system".into()))
            .expect("settings");
        assert_eq!(s.admin_addr, "0.0.0.0:8081");
        assert_eq!(s.concurrency, 4);
        assert_eq!(s.requeue, Duration::from_secs(300));
        let lease = s.leader_election.expect("on by default");
        assert_eq!(lease.namespace, "kds-system");
        assert_eq!(lease.name, "kds-controller");
        assert!(!s.identity.is_empty());
        let seed = crate::controller::fixtures::example("fluentd-logger");
        assert_eq!(
            s.scope.check(&seed),
            None,
            "the seed works for an administrator"
        );
    }

    #[test]
    fn flags_override_and_leader_election_switches_off() {
        let s = parse(&[
            "--leader-elect=false",
            "--identity",
            "pod-a",
            "--allow-cluster-rbac",
            "platform,infra-*",
            "--requeue-interval",
            "90s",
        ])
        .settings(None)
        .expect("settings");
        assert!(s.leader_election.is_none());
        assert_eq!(s.identity, "pod-a");
        assert_eq!(s.requeue, Duration::from_secs(90));
    }

    #[test]
    fn lease_namespace_falls_back_to_kds_system() {
        let s = parse(&[]).settings(None).expect("settings");
        assert_eq!(
            s.leader_election.expect("on").namespace,
            DEFAULT_LEASE_NAMESPACE
        );
    }

    #[test]
    fn bad_values_are_refused_naming_the_flag() {
        let err = Cli::try_parse_from(["c", "--concurrency", "0"]).expect_err("refused");
        assert!(err.to_string().contains("--concurrency"), "{err}");
        let err = Cli::try_parse_from(["c", "--requeue-interval", "forever"]).expect_err("refused");
        assert!(err.to_string().contains("forever"), "{err}");
        let err = parse(&["--allow-cluster-rbac", "team-["])
            .settings(None)
            .expect_err("refused");
        assert!(err.to_string().contains("--allow-cluster-rbac"), "{err}");
    }
}

#[cfg(test)]
mod env_tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: ControllerArgs,
    }

    /// The chart always sets every scope variable; an empty one (a list set to `[]`) must
    /// mean "no namespace", never fall back to the default.
    #[test]
    fn an_empty_scope_variable_means_no_namespace() {
        // Changing this process's environment would race with other tests (and `set_var` is
        // unsafe), so the parse runs in a child test process with the variables set.
        let exe = std::env::current_exe().expect("test binary");
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "cli::controller::env_tests::child_parses_empty_scope",
                "--nocapture",
                "--include-ignored",
            ])
            .env("KDS_WEBHOOK_ALLOW_CROSS_NAMESPACE", "")
            .env("KDS_WEBHOOK_ALLOW_NAMESPACE_CREATION", "")
            .env("KDS_WEBHOOK_RUN_CHILD", "1")
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("1 passed"), "{text}");
    }

    #[test]
    #[ignore = "run by an_empty_scope_variable_means_no_namespace with its environment"]
    fn child_parses_empty_scope() {
        if std::env::var_os("KDS_WEBHOOK_RUN_CHILD").is_none() {
            return;
        }
        let args = Cli::try_parse_from(["c"]).expect("parses").args;
        let s = args.settings(None).expect("settings");
        let seed = crate::controller::fixtures::example("fluentd-logger");
        let refusal = s
            .scope
            .check(&seed)
            .expect("refused: nobody may cross namespaces");
        assert_eq!(refusal.setting, scope::FLAG_CROSS_NAMESPACE);
    }
}
