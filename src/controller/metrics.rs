//! The controller's Prometheus metrics, served in OpenMetrics text on its admin port.

use std::sync::atomic::{AtomicI64, AtomicU64};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Reconcile durations in seconds: a reconcile is a handful of API calls, tens of ms each.
const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Labels of `kds_controller_reconciles_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// `applied`, `stalled`, `deleted` or `error`.
    pub result: &'static str,
}

/// Labels of the per-kind counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// The child's kind (`DaemonSet`, `ConfigMap`, ...).
    pub kind: &'static str,
}

/// Every metric the controller records.
#[derive(Debug)]
pub struct ControllerMetrics {
    registry: Registry,
    /// Reconciles finished, by result.
    pub reconciles: Family<ResultLabels, Counter>,
    /// Time one reconcile took.
    pub duration: Histogram,
    /// Reconciles running right now.
    pub in_flight: Gauge,
    /// Server-side applies sent, by kind (a no-op apply counts; it changes nothing).
    pub applies: Family<KindLabels, Counter>,
    /// Applies that changed the object (its resourceVersion moved), by kind: creations,
    /// spec changes, and drift put back.
    pub writes: Family<KindLabels, Counter>,
    /// Children deleted because the spec no longer produces them, or on delete, by kind.
    pub prunes: Family<KindLabels, Counter>,
    /// 1 while this replica holds the leader Lease (or runs without leader election).
    pub leader: Gauge,
    /// KubernetesDaemonSets in the controller's cache.
    pub objects: Gauge,
}

impl Default for ControllerMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl ControllerMetrics {
    /// Registers every metric under the `kds_controller` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("kds_controller");
        let reconciles = Family::<ResultLabels, Counter>::default();
        let duration = Histogram::new(DURATION_BUCKETS.iter().copied());
        let in_flight = Gauge::<i64, AtomicI64>::default();
        let applies = Family::<KindLabels, Counter<u64, AtomicU64>>::default();
        let writes = Family::<KindLabels, Counter<u64, AtomicU64>>::default();
        let prunes = Family::<KindLabels, Counter<u64, AtomicU64>>::default();
        let leader = Gauge::<i64, AtomicI64>::default();
        let objects = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "reconciles",
            "Reconciles finished, by result",
            reconciles.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Time one reconcile took",
            duration.clone(),
        );
        registry.register(
            "reconciles_in_flight",
            "Reconciles running now",
            in_flight.clone(),
        );
        registry.register(
            "applies",
            "Server-side applies sent, by kind",
            applies.clone(),
        );
        registry.register(
            "writes",
            "Applies that changed the object, by kind",
            writes.clone(),
        );
        registry.register("prunes", "Children deleted, by kind", prunes.clone());
        registry.register(
            "leader",
            "1 while this replica is the leader",
            leader.clone(),
        );
        registry.register(
            "objects",
            "KubernetesDaemonSets in the controller's cache",
            objects.clone(),
        );
        Self {
            registry,
            reconciles,
            duration,
            in_flight,
            applies,
            writes,
            prunes,
            leader,
            objects,
        }
    }

    /// Counts a finished reconcile.
    pub fn observe(&self, result: &'static str, seconds: f64) {
        self.reconciles
            .get_or_create(&ResultLabels { result })
            .inc();
        self.duration.observe(seconds);
    }

    /// The registry in OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl crate::server::admin::MetricsText for ControllerMetrics {
    fn encode(&self) -> String {
        ControllerMetrics::encode(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_series() {
        let m = ControllerMetrics::new();
        m.observe("applied", 0.02);
        m.applies
            .get_or_create(&KindLabels { kind: "DaemonSet" })
            .inc();
        m.writes
            .get_or_create(&KindLabels { kind: "DaemonSet" })
            .inc();
        m.prunes
            .get_or_create(&KindLabels { kind: "ConfigMap" })
            .inc();
        m.leader.set(1);
        let text = m.encode();
        for series in [
            "kds_controller_reconciles_total{result=\"applied\"} 1",
            "kds_controller_reconcile_duration_seconds_bucket",
            "kds_controller_reconciles_in_flight 0",
            "kds_controller_applies_total{kind=\"DaemonSet\"} 1",
            "kds_controller_writes_total{kind=\"DaemonSet\"} 1",
            "kds_controller_prunes_total{kind=\"ConfigMap\"} 1",
            "kds_controller_leader 1",
            "kds_controller_objects 0",
            "# EOF",
        ] {
            assert!(text.contains(series), "missing {series} in\n{text}");
        }
    }
}
