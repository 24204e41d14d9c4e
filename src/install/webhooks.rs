//! The Mutating- and ValidatingWebhookConfiguration (the chart's `webhooks.yaml`).
//!
//! Both match only `kubernetesdaemonsets` of our group, CREATE and UPDATE, and never the
//! webhook's own namespace or `kube-system`, so `failurePolicy: Fail` can block nothing but
//! this one kind and never the webhook's own recovery.

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, ServiceReference,
    ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::*;

/// The single rule both webhooks share.
pub(super) fn rules() -> Vec<RuleWithOperations> {
    vec![RuleWithOperations {
        api_groups: Some(vec![crate::api::GROUP.into()]),
        api_versions: Some(vec![crate::api::VERSION.into()]),
        operations: Some(vec!["CREATE".into(), "UPDATE".into()]),
        resources: Some(vec![crate::api::PLURAL.into()]),
        scope: Some("Namespaced".into()),
    }]
}

/// `kubernetes.io/metadata.name NotIn [<release namespace>, kube-system]`.
pub(super) fn namespace_selector(opts: &Options) -> LabelSelector {
    LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "kubernetes.io/metadata.name".into(),
            operator: "NotIn".into(),
            values: Some(opts.excluded_namespaces()),
        }]),
        ..LabelSelector::default()
    }
}

fn client_config(opts: &Options, path: &str) -> WebhookClientConfig {
    WebhookClientConfig {
        ca_bundle: Some(ByteString(opts.tls.ca_pem().as_bytes().to_vec())),
        service: Some(ServiceReference {
            name: opts.name.clone(),
            namespace: opts.namespace.clone(),
            path: Some(path.into()),
            port: Some(SERVICE_PORT),
        }),
        url: None,
    }
}

pub(super) fn mutating(opts: &Options) -> MutatingWebhookConfiguration {
    MutatingWebhookConfiguration {
        metadata: opts.meta(opts.name.clone(), false),
        webhooks: Some(vec![MutatingWebhook {
            name: MUTATING_WEBHOOK_NAME.into(),
            admission_review_versions: vec!["v1".into()],
            client_config: client_config(opts, MUTATE_PATH),
            failure_policy: Some(FAILURE_POLICY.into()),
            match_policy: Some("Equivalent".into()),
            namespace_selector: Some(namespace_selector(opts)),
            reinvocation_policy: Some("Never".into()),
            rules: Some(rules()),
            side_effects: "None".into(),
            timeout_seconds: Some(TIMEOUT_SECONDS),
            ..MutatingWebhook::default()
        }]),
    }
}

pub(super) fn validating(opts: &Options) -> ValidatingWebhookConfiguration {
    ValidatingWebhookConfiguration {
        metadata: opts.meta(opts.name.clone(), false),
        webhooks: Some(vec![ValidatingWebhook {
            name: VALIDATING_WEBHOOK_NAME.into(),
            admission_review_versions: vec!["v1".into()],
            client_config: client_config(opts, VALIDATE_PATH),
            failure_policy: Some(FAILURE_POLICY.into()),
            match_policy: Some("Equivalent".into()),
            namespace_selector: Some(namespace_selector(opts)),
            rules: Some(rules()),
            side_effects: "None".into(),
            timeout_seconds: Some(TIMEOUT_SECONDS),
            ..ValidatingWebhook::default()
        }]),
    }
}
