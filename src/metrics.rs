//! The webhook's Prometheus metrics, served in OpenMetrics text on the admin port.
//!
//! One [`Metrics`] per server (no process globals), so tests can run several servers in one
//! process and read each one's numbers.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The `Content-Type` of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Latency buckets in seconds: admission is sub-millisecond, the API server's timeout is 10 s.
const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Labels of `kds_webhook_admission_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `mutate` or `validate`.
    pub webhook: &'static str,
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT`, or `unknown` when the review did not decode.
    pub operation: &'static str,
    /// `allowed`, `denied` or `error`.
    pub outcome: &'static str,
}

/// Labels of the duration histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WebhookLabels {
    /// `mutate` or `validate`.
    pub webhook: &'static str,
}

/// Labels of `kds_webhook_policy_decisions_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PolicyLabels {
    /// The gate's name.
    pub gate: &'static str,
    /// `enforce`, `warn` or `off`.
    pub mode: &'static str,
    /// `pass` or `violated`.
    pub outcome: &'static str,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS.iter().copied())
}

/// Every metric the server records, and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Admission requests answered, by webhook, operation and outcome.
    pub requests: Family<RequestLabels, Counter>,
    /// Time from request head to reply, by webhook.
    pub duration: Family<WebhookLabels, Histogram, fn() -> Histogram>,
    /// Requests being processed right now.
    pub in_flight: Gauge,
    /// Successful certificate reloads (after the first load).
    pub tls_reloads: Counter,
    /// Certificate reloads refused (the last good certificate stays in use).
    pub tls_reload_failures: Counter,
    /// The serving certificate's notAfter, in seconds since the epoch.
    pub tls_cert_expiry: Gauge<i64, std::sync::atomic::AtomicI64>,
    /// Policy gate verdicts, by gate, mode and outcome.
    pub policy_decisions: Family<PolicyLabels, Counter>,
    /// Successful policy reloads (after the first load).
    pub policy_reloads: Counter,
    /// Policy reloads refused (the last good policy stays in use).
    pub policy_reload_failures: Counter,
}

// === impl Metrics ===

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric under the `kds_webhook` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("kds_webhook");
        let requests = Family::<RequestLabels, Counter>::default();
        let duration = Family::<WebhookLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        let in_flight = Gauge::<i64, std::sync::atomic::AtomicI64>::default();
        let tls_reloads = Counter::<u64, AtomicU64>::default();
        let tls_reload_failures = Counter::<u64, AtomicU64>::default();
        let tls_cert_expiry = Gauge::<i64, std::sync::atomic::AtomicI64>::default();
        let policy_decisions = Family::<PolicyLabels, Counter>::default();
        let policy_reloads = Counter::<u64, AtomicU64>::default();
        let policy_reload_failures = Counter::<u64, AtomicU64>::default();
        registry.register(
            "admission_requests",
            "Admission requests answered",
            requests.clone(),
        );
        registry.register(
            "admission_duration_seconds",
            "Time to answer an admission request",
            duration.clone(),
        );
        registry.register(
            "admission_in_flight_requests",
            "Admission requests being processed",
            in_flight.clone(),
        );
        registry.register(
            "tls_reloads",
            "Serving certificate reloads",
            tls_reloads.clone(),
        );
        registry.register(
            "tls_reload_failures",
            "Serving certificate reloads refused; the last good certificate stays in use",
            tls_reload_failures.clone(),
        );
        registry.register(
            "tls_cert_expiry_timestamp_seconds",
            "notAfter of the serving certificate, seconds since the epoch",
            tls_cert_expiry.clone(),
        );
        registry.register(
            "policy_decisions",
            "Policy gate verdicts",
            policy_decisions.clone(),
        );
        registry.register(
            "policy_reloads",
            "Policy file reloads",
            policy_reloads.clone(),
        );
        registry.register(
            "policy_reload_failures",
            "Policy file reloads refused; the last good policy stays in use",
            policy_reload_failures.clone(),
        );
        Self {
            registry,
            requests,
            duration,
            in_flight,
            tls_reloads,
            tls_reload_failures,
            tls_cert_expiry,
            policy_decisions,
            policy_reloads,
            policy_reload_failures,
        }
    }

    /// Counts one answered request and its latency.
    pub fn observe_request(
        &self,
        webhook: &'static str,
        operation: &'static str,
        outcome: &'static str,
        seconds: f64,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                webhook,
                operation,
                outcome,
            })
            .inc();
        self.duration
            .get_or_create(&WebhookLabels { webhook })
            .observe(seconds);
    }

    /// Counts one gate verdict.
    pub fn observe_policy(&self, gate: &'static str, mode: &'static str, violated: bool) {
        let outcome = if violated { "violated" } else { "pass" };
        self.policy_decisions
            .get_or_create(&PolicyLabels {
                gate,
                mode,
                outcome,
            })
            .inc();
    }

    /// The registry in OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_series() {
        let m = Metrics::new();
        m.observe_request("mutate", "CREATE", "allowed", 0.001);
        m.observe_policy("privilege", "warn", true);
        m.tls_cert_expiry.set(42);
        let text = m.encode();
        for series in [
            "kds_webhook_admission_requests_total{webhook=\"mutate\",operation=\"CREATE\",outcome=\"allowed\"} 1",
            "kds_webhook_admission_duration_seconds_bucket",
            "kds_webhook_admission_in_flight_requests",
            "kds_webhook_tls_reloads_total",
            "kds_webhook_tls_reload_failures_total",
            "kds_webhook_tls_cert_expiry_timestamp_seconds 42",
            "kds_webhook_policy_decisions_total{gate=\"privilege\",mode=\"warn\",outcome=\"violated\"} 1",
            "kds_webhook_policy_reloads_total",
            "kds_webhook_policy_reload_failures_total",
            "# EOF",
        ] {
            assert!(text.contains(series), "missing {series} in\n{text}");
        }
    }
}
