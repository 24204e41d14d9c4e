//! `kds-webhook manifests`: print a complete installation (CRD, namespace, workload,
//! controller and its RBAC, webhook configurations) as multi-document YAML for `kubectl apply -f -` or kustomize.
//!
//! The objects mirror the Helm chart's defaults; see [`crate::install`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::install::{self, Options, Tls, TlsMaterial};

/// Arguments of `manifests`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("tls").required(true).args(["ca_bundle", "cert_dir"])))]
pub struct ManifestsArgs {
    /// Namespace for the webhook's own objects; it is excluded from admission.
    #[arg(long, short = 'n', value_name = "NAME")]
    pub namespace: String,
    /// Container image of the webhook server and the controller.
    #[arg(long, value_name = "NAME", default_value = install::DEFAULT_IMAGE)]
    pub image: String,
    /// Release name: the prefix of every object's name and the Service name.
    #[arg(long, value_name = "NAME", default_value = install::DEFAULT_NAME)]
    pub name: String,
    /// PEM file of the CA that signed the serving certificate; the TLS Secret
    /// `<name>-tls` must already exist in the namespace.
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
    /// Directory with `ca.crt`, `tls.crt` and `tls.key` (as `kds-webhook certs` writes);
    /// the TLS Secret is printed too.
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Policy file to ship as a ConfigMap and pass to `serve --policy` (and to
    /// `controller --policy`, so both judge alike); it is loaded with `serve`'s loader first,
    /// so a file the server would refuse at start-up is refused here.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Leave out the controller (its Deployment, ServiceAccount and RBAC): only the webhooks
    /// are installed, and KubernetesDaemonSets are checked but not turned into DaemonSets.
    #[arg(long)]
    pub no_controller: bool,
    /// Leave out the access checks: no token and no `create subjectaccessreviews` for the
    /// webhook, which then admits what objects ask of the controller without asking who wrote them.
    #[arg(long)]
    pub no_access_checks: bool,
    /// Leave out the drift guard (the ValidatingAdmissionPolicy protecting the controller's objects).
    #[arg(long)]
    pub no_drift_guard: bool,
    /// Group whose members may still write the controller's objects: the break-glass
    /// (repeatable).
    #[arg(long = "break-glass-group", value_name = "NAME", value_delimiter = ',',
          default_values_t = install::access::DEFAULT_BREAK_GLASS_GROUPS.iter().map(|g| (*g).to_owned()))]
    pub break_glass_groups: Vec<String>,
}

/// Prints the installation as a YAML stream.
pub fn run(args: ManifestsArgs) -> anyhow::Result<ExitCode> {
    let opts = options(args)?;
    let installation = install::build(&opts);
    print!(
        "{}",
        crate::yaml::to_yaml_stream(&installation.to_values())?
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads the files the arguments name and builds [`Options`].
pub fn options(args: ManifestsArgs) -> anyhow::Result<Options> {
    let ManifestsArgs {
        namespace,
        image,
        name,
        ca_bundle,
        cert_dir,
        policy,
        no_controller,
        no_access_checks,
        no_drift_guard,
        break_glass_groups,
    } = args;
    if let Some(g) = break_glass_groups
        .iter()
        .find(|g| g.is_empty() || g.contains(['\'', '\\']))
    {
        anyhow::bail!(
            "--break-glass-group {g:?}: a group name must be non-empty and hold no quote or backslash"
        );
    }
    check_namespace(&namespace)?;
    if let Err(e) = crate::validation::image::check_reference(&image) {
        anyhow::bail!("--image {image:?}: {}", e.message());
    }
    let tls = match (ca_bundle, cert_dir) {
        (Some(file), None) => {
            let ca = read(&file)?;
            install::check_ca_bundle(&ca).with_context(|| file.display().to_string())?;
            Tls::CaBundle(ca)
        }
        (None, Some(dir)) => Tls::Material(
            TlsMaterial::new(
                read(&dir.join("ca.crt"))?,
                read(&dir.join("tls.crt"))?,
                read(&dir.join("tls.key"))?,
            )
            .with_context(|| format!("in {}", dir.display()))?,
        ),
        // clap's ArgGroup makes exactly one of the two required.
        _ => anyhow::bail!("give exactly one of --ca-bundle and --cert-dir"),
    };
    let opts = Options {
        namespace,
        name,
        image,
        tls,
        policy: policy.as_deref().map(read_policy).transpose()?,
        controller: !no_controller,
        access_checks: !no_access_checks,
        drift_guard: !no_drift_guard,
        break_glass_groups,
    };
    if let Tls::Material(m) = &opts.tls {
        m.check_names(&opts)?;
    }
    Ok(opts)
}

/// The namespace must be a valid name, and the webhook's own: its configurations exclude the
/// namespace they run in (so they can never block their own recovery), so installing into
/// `default` or `kube-system` would leave every KubernetesDaemonSet there unchecked. The chart
/// refuses the same two.
fn check_namespace(namespace: &str) -> anyhow::Result<()> {
    let msgs = crate::validation::names::dns1123_label(namespace);
    if let Some(m) = msgs.first() {
        anyhow::bail!("--namespace {namespace:?}: {m}");
    }
    if ["default", "kube-system"].contains(&namespace) {
        anyhow::bail!(
            "--namespace {namespace:?}: install kds-webhook into its own namespace (e.g. kds-system): \
             the webhooks exclude the namespace they run in, so objects there would go unchecked"
        );
    }
    Ok(())
}

/// The policy file's text, once `serve`'s loader has accepted it.
fn read_policy(path: &Path) -> anyhow::Result<String> {
    let text = read(path)?;
    crate::policy::Policy::from_yaml(&text).with_context(|| {
        format!(
            "--policy {}: refused by the loader `serve` uses",
            path.display()
        )
    })?;
    Ok(text)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("failed to read {}", path.display()))
}
