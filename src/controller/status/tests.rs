use super::*;
use crate::controller::plan::StallReason;
use k8s_openapi::jiff::Timestamp;

fn at(secs: i64) -> Time {
    Time(Timestamp::from_second(secs).expect("a time"))
}

fn rollout(generation: i64, observed: i64, desired: i32, updated: i32, available: i32) -> Rollout {
    Rollout {
        generation,
        observed_generation: observed,
        desired,
        current: desired,
        updated,
        ready: available,
        available,
        on_delete: false,
    }
}

fn applied(r: Rollout) -> Outcome {
    Outcome::Applied {
        target_namespace: "logging".into(),
        daemon_set_name: "fluentd-logger".into(),
        rollout: r,
        inventory: vec![InventoryEntry {
            api_version: "apps/v1".into(),
            kind: "DaemonSet".into(),
            namespace: Some("logging".into()),
            name: "fluentd-logger".into(),
        }],
    }
}

fn get<'a>(s: &'a KubernetesDaemonSetStatus, t: &str) -> &'a Condition {
    condition(s, t).unwrap_or_else(|| panic!("no {t} condition"))
}

#[test]
fn a_complete_rollout_is_ready() {
    let s = next(None, Some(2), &applied(rollout(3, 3, 5, 5, 5)), &at(100));
    assert_eq!(s.observed_generation, Some(2));
    assert_eq!(get(&s, READY).status, "True");
    assert_eq!(get(&s, READY).reason, "Available");
    assert_eq!(get(&s, RECONCILING).status, "False");
    assert_eq!(get(&s, STALLED).status, "False");
    assert_eq!(get(&s, READY).observed_generation, Some(2));
    assert_eq!(s.desired_number_scheduled, Some(5));
    assert_eq!(s.number_available, Some(5));
    assert_eq!(s.target_namespace.as_deref(), Some("logging"));
    let outputs = s.outputs.as_ref().expect("outputs");
    assert_eq!(outputs.daemonset_name.as_deref(), Some("fluentd-logger"));
    assert_eq!(outputs.number_ready.as_deref(), Some("5"));
    let types: Vec<&str> = s
        .conditions
        .iter()
        .flatten()
        .map(|c| c.type_.as_str())
        .collect();
    assert_eq!(types, [READY, RECONCILING, STALLED]);
}

#[test]
fn a_rollout_in_progress_is_reconciling_not_ready() {
    for (r, expect) in [
        (
            rollout(2, 1, 5, 5, 5),
            "waiting for the DaemonSet controller to observe generation 2",
        ),
        (
            rollout(2, 2, 5, 3, 5),
            "3 of 5 pods updated, 5 of 5 available",
        ),
        (
            rollout(2, 2, 5, 5, 4),
            "5 of 5 pods updated, 4 of 5 available",
        ),
    ] {
        let s = next(None, Some(1), &applied(r), &at(100));
        assert_eq!(get(&s, READY).status, "False");
        assert_eq!(get(&s, READY).reason, "RollingOut");
        assert_eq!(get(&s, RECONCILING).status, "True");
        assert!(
            get(&s, READY).message.contains(expect),
            "{}",
            get(&s, READY).message
        );
    }
}

#[test]
fn on_delete_counts_availability_only() {
    let mut r = rollout(2, 2, 4, 1, 4);
    assert!(!r.is_complete());
    r.on_delete = true;
    assert!(r.is_complete());
    let s = next(None, Some(1), &applied(r), &at(1));
    assert_eq!(get(&s, READY).status, "True");
}

#[test]
fn no_nodes_is_a_complete_rollout() {
    assert!(rollout(1, 1, 0, 0, 0).is_complete());
}

#[test]
fn an_unchanged_world_computes_the_identical_status() {
    let first = next(None, Some(1), &applied(rollout(1, 1, 3, 3, 3)), &at(100));
    let again = next(
        Some(&first),
        Some(1),
        &applied(rollout(1, 1, 3, 3, 3)),
        &at(500),
    );
    assert_eq!(first, again, "so no status write is sent");
}

#[test]
fn transition_times_move_only_when_a_condition_flips() {
    let ready = next(None, Some(1), &applied(rollout(1, 1, 3, 3, 3)), &at(100));
    let rolling = next(
        Some(&ready),
        Some(2),
        &applied(rollout(2, 2, 3, 1, 3)),
        &at(200),
    );
    assert_eq!(get(&rolling, READY).last_transition_time, at(200));
    assert_eq!(
        get(&rolling, STALLED).last_transition_time,
        at(100),
        "still False"
    );
    let progress = next(
        Some(&rolling),
        Some(2),
        &applied(rollout(2, 2, 3, 2, 3)),
        &at(300),
    );
    assert_eq!(
        get(&progress, READY).last_transition_time,
        at(200),
        "still False"
    );
    assert_ne!(get(&progress, READY).message, get(&rolling, READY).message);
}

#[test]
fn stalled_keeps_what_was_applied_and_says_why() {
    let ready = next(None, Some(1), &applied(rollout(1, 1, 3, 3, 3)), &at(100));
    let stall = Stall {
        reason: StallReason::OwnershipConflict,
        message: "DaemonSet logging/fluentd-logger belongs to KubernetesDaemonSet a/b".into(),
    };
    let s = next(
        Some(&ready),
        Some(2),
        &Outcome::Stalled(stall.clone()),
        &at(200),
    );
    assert_eq!(s.observed_generation, Some(2));
    assert_eq!(get(&s, STALLED).status, "True");
    assert_eq!(get(&s, STALLED).reason, "OwnershipConflict");
    assert_eq!(get(&s, STALLED).message, stall.message);
    assert_eq!(get(&s, READY).status, "False");
    assert_eq!(get(&s, RECONCILING).status, "False");
    assert_eq!(s.inventory, ready.inventory, "the objects are still there");
    assert_eq!(s.number_available, Some(3));
}

#[test]
fn retrying_marks_reconciling_and_leaves_the_rest() {
    let ready = next(None, Some(1), &applied(rollout(1, 1, 3, 3, 3)), &at(100));
    let s = next(
        Some(&ready),
        Some(1),
        &Outcome::Retrying {
            message: "ApiError: Internal error".into(),
        },
        &at(200),
    );
    assert_eq!(get(&s, RECONCILING).status, "True");
    assert_eq!(get(&s, RECONCILING).reason, "RetryingAfterError");
    assert_eq!(get(&s, READY), get(&ready, READY));
    assert_eq!(s.inventory, ready.inventory);
}

#[test]
fn with_inventory_changes_only_the_inventory() {
    let ready = next(None, Some(1), &applied(rollout(1, 1, 3, 3, 3)), &at(100));
    let s = with_inventory(Some(&ready), vec![]);
    assert_eq!(s.inventory, Some(vec![]));
    assert_eq!(s.conditions, ready.conditions);
}

#[test]
fn reads_a_daemon_set_as_the_server_returned_it() {
    let recorded: serde_json::Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/apiserver-recordings/09-ssa-daemonset-create.json"
    ))
    .expect("json");
    let ds: DaemonSet =
        serde_json::from_value(recorded["response"]["body"].clone()).expect("a DaemonSet");
    let r = Rollout::of(&ds);
    assert_eq!(r.generation, 1);
    assert_eq!(r.observed_generation, 0, "no DaemonSet controller ran");
    assert_eq!(r.desired, 0);
    assert!(!r.is_complete(), "generation 1 is not observed yet");
}
