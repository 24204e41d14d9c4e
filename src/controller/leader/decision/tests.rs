use super::*;

const ME: &str = "kds-controller-6d5f7c9b8-x2k4q";
const OTHER: &str = "kds-controller-6d5f7c9b8-p9z7m";
const DURATION: Duration = Duration::from_secs(15);

fn candidate() -> Candidate<'static> {
    Candidate {
        identity: ME,
        lease_duration: DURATION,
    }
}

fn wall(text: &str) -> Timestamp {
    text.parse().expect("test timestamp parses")
}

fn mk_spec(holder: Option<&str>, duration: Option<i32>, transitions: Option<i32>) -> LeaseSpec {
    LeaseSpec {
        holder_identity: holder.map(str::to_owned),
        lease_duration_seconds: duration,
        acquire_time: Some(MicroTime(wall("2026-12-01T08:00:00Z"))),
        renew_time: Some(MicroTime(wall("2026-12-01T08:20:00Z"))),
        lease_transitions: transitions,
        ..LeaseSpec::default()
    }
}

fn seen(spec: LeaseSpec, seen_at: Instant) -> Observation {
    Observation { spec, seen_at }
}

fn time_json(time: &Option<MicroTime>) -> String {
    serde_json::to_value(time)
        .expect("MicroTime serialises")
        .as_str()
        .expect("MicroTime is a string")
        .to_owned()
}

#[test]
fn creates_a_missing_lease_with_no_transitions() {
    let now = Instant::now();
    let action = decide(None, &candidate(), now, wall("2026-12-01T08:23:00Z"));
    let Action::Create(spec) = action else {
        panic!("expected Create, got {action:?}");
    };
    assert_eq!(spec.holder_identity.as_deref(), Some(ME));
    assert_eq!(spec.lease_duration_seconds, Some(15));
    assert_eq!(spec.lease_transitions, Some(0));
    assert_eq!(time_json(&spec.acquire_time), "2026-12-01T08:23:00.000000Z");
    assert_eq!(time_json(&spec.renew_time), "2026-12-01T08:23:00.000000Z");
}

#[test]
fn times_have_exactly_six_fractional_digits() {
    let now = Instant::now();
    let action = decide(
        None,
        &candidate(),
        now,
        wall("2026-12-01T08:23:05.123456789Z"),
    );
    let Action::Create(spec) = action else {
        panic!("expected Create, got {action:?}");
    };
    // Truncated, not rounded, and never nine digits (the server refuses those with 422).
    assert_eq!(time_json(&spec.renew_time), "2026-12-01T08:23:05.123456Z");
}

#[test]
fn renews_its_own_lease_keeping_acquire_time_and_transitions() {
    let now = Instant::now();
    let observed = seen(mk_spec(Some(ME), Some(15), Some(3)), now);
    let later = now + Duration::from_secs(2);
    let action = decide(
        Some(&observed),
        &candidate(),
        later,
        wall("2026-12-01T08:23:05.123456Z"),
    );
    let Action::Renew(spec) = action else {
        panic!("expected Renew, got {action:?}");
    };
    assert_eq!(spec.holder_identity.as_deref(), Some(ME));
    assert_eq!(spec.lease_transitions, Some(3));
    assert_eq!(spec.acquire_time, observed.spec.acquire_time);
    assert_eq!(time_json(&spec.renew_time), "2026-12-01T08:23:05.123456Z");
}

#[test]
fn renews_its_own_lease_even_when_expired() {
    // Nobody took it over while this replica could not reach the server: it is still ours.
    let now = Instant::now();
    let observed = seen(mk_spec(Some(ME), Some(15), Some(1)), now);
    let action = decide(
        Some(&observed),
        &candidate(),
        now + Duration::from_secs(60),
        wall("2026-12-01T08:24:00Z"),
    );
    assert!(matches!(action, Action::Renew(ref s) if s.lease_transitions == Some(1)));
}

#[test]
fn follows_another_holder_until_its_lease_runs_out() {
    let now = Instant::now();
    let observed = seen(mk_spec(Some(OTHER), Some(15), Some(0)), now);
    let action = decide(
        Some(&observed),
        &candidate(),
        now + Duration::from_secs(4),
        wall("2026-12-01T08:23:04Z"),
    );
    assert_eq!(
        action,
        Action::Follow {
            holder: OTHER.to_owned(),
            expires_in: Duration::from_secs(11),
        }
    );
    let just_before = now + DURATION - Duration::from_millis(1);
    let action = decide(
        Some(&observed),
        &candidate(),
        just_before,
        wall("2026-12-01T08:23:15Z"),
    );
    assert!(matches!(action, Action::Follow { .. }), "{action:?}");
}

#[test]
fn takes_over_an_expired_lease_and_counts_the_transition() {
    let now = Instant::now();
    let observed = seen(mk_spec(Some(OTHER), Some(15), Some(4)), now);
    let action = decide(
        Some(&observed),
        &candidate(),
        now + DURATION,
        wall("2026-12-01T08:23:15Z"),
    );
    let Action::Acquire(spec) = action else {
        panic!("expected Acquire, got {action:?}");
    };
    assert_eq!(spec.holder_identity.as_deref(), Some(ME));
    assert_eq!(spec.lease_transitions, Some(5));
    assert_eq!(spec.lease_duration_seconds, Some(15));
    assert_eq!(time_json(&spec.acquire_time), "2026-12-01T08:23:15.000000Z");
    assert_eq!(spec.acquire_time, spec.renew_time);
}

#[test]
fn expiry_ignores_the_holders_clock() {
    // The holder's renewTime says an hour ago (its clock is behind), but this replica saw the
    // record change just now: the lease is live.
    let now = Instant::now();
    let mut spec = mk_spec(Some(OTHER), Some(15), Some(0));
    spec.renew_time = Some(MicroTime(wall("2026-12-01T07:23:00Z")));
    let observed = seen(spec, now);
    let action = decide(
        Some(&observed),
        &candidate(),
        now + Duration::from_secs(1),
        wall("2026-12-01T08:23:01Z"),
    );
    assert!(matches!(action, Action::Follow { .. }), "{action:?}");
}

#[test]
fn takes_a_released_lease_at_once() {
    let now = Instant::now();
    for holder in [None, Some("")] {
        let observed = seen(mk_spec(holder, Some(1), Some(2)), now);
        let action = decide(
            Some(&observed),
            &candidate(),
            now,
            wall("2026-12-01T08:23:00Z"),
        );
        let Action::Acquire(spec) = action else {
            panic!("expected Acquire for holder {holder:?}, got {action:?}");
        };
        assert_eq!(spec.holder_identity.as_deref(), Some(ME));
        assert_eq!(spec.lease_transitions, Some(3));
        assert_eq!(spec.lease_duration_seconds, Some(15));
    }
}

#[test]
fn missing_or_invalid_duration_counts_as_this_replicas_duration() {
    let now = Instant::now();
    for duration in [None, Some(0), Some(-5)] {
        let observed = seen(mk_spec(Some(OTHER), duration, Some(0)), now);
        let before = decide(
            Some(&observed),
            &candidate(),
            now + Duration::from_secs(14),
            wall("2026-12-01T08:23:14Z"),
        );
        assert!(
            matches!(before, Action::Follow { .. }),
            "{duration:?}: {before:?}"
        );
        let after = decide(
            Some(&observed),
            &candidate(),
            now + DURATION,
            wall("2026-12-01T08:23:15Z"),
        );
        assert!(
            matches!(after, Action::Acquire(_)),
            "{duration:?}: {after:?}"
        );
    }
}

#[test]
fn honours_a_longer_duration_written_by_the_holder() {
    let now = Instant::now();
    let observed = seen(mk_spec(Some(OTHER), Some(60), Some(0)), now);
    let action = decide(
        Some(&observed),
        &candidate(),
        now + Duration::from_secs(30),
        wall("2026-12-01T08:23:30Z"),
    );
    assert_eq!(
        action,
        Action::Follow {
            holder: OTHER.to_owned(),
            expires_in: Duration::from_secs(30),
        }
    );
}

#[test]
fn missing_transitions_start_from_zero() {
    let now = Instant::now();
    let observed = seen(mk_spec(Some(OTHER), Some(15), None), now);
    let action = decide(
        Some(&observed),
        &candidate(),
        now + DURATION,
        wall("2026-12-01T08:23:15Z"),
    );
    assert!(matches!(action, Action::Acquire(ref s) if s.lease_transitions == Some(1)));
    let observed = seen(mk_spec(Some(ME), Some(15), None), now);
    let action = decide(
        Some(&observed),
        &candidate(),
        now,
        wall("2026-12-01T08:23:15Z"),
    );
    assert!(matches!(action, Action::Renew(ref s) if s.lease_transitions == Some(0)));
}

#[test]
fn keeps_fields_it_does_not_manage() {
    let now = Instant::now();
    let mut spec = mk_spec(Some(OTHER), Some(15), Some(0));
    spec.preferred_holder = Some("someone".into());
    spec.strategy = Some("OldestEmulationVersion".into());
    let observed = seen(spec, now);
    let Action::Acquire(spec) = decide(
        Some(&observed),
        &candidate(),
        now + DURATION,
        wall("2026-12-01T08:23:15Z"),
    ) else {
        panic!("expected Acquire");
    };
    assert_eq!(spec.preferred_holder.as_deref(), Some("someone"));
    assert_eq!(spec.strategy.as_deref(), Some("OldestEmulationVersion"));
}

#[test]
fn observation_time_moves_only_when_the_record_changes() {
    let start = Instant::now();
    let spec = mk_spec(Some(OTHER), Some(15), Some(0));
    let first = Observation::update(None, spec.clone(), start);
    assert_eq!(first.seen_at, start);

    // The same record read again later: a holder that stopped renewing; the clock keeps running.
    let again = Observation::update(
        Some(first.clone()),
        spec.clone(),
        start + Duration::from_secs(9),
    );
    assert_eq!(again.seen_at, start);

    // A renewal (new renewTime) restarts the clock.
    let mut renewed = spec;
    renewed.renew_time = Some(MicroTime(wall("2026-12-01T08:20:02Z")));
    let later = start + Duration::from_secs(10);
    let moved = Observation::update(Some(again), renewed, later);
    assert_eq!(moved.seen_at, later);
    let action = decide(
        Some(&moved),
        &candidate(),
        start + Duration::from_secs(20),
        wall("2026-12-01T08:23:20Z"),
    );
    assert!(matches!(action, Action::Follow { .. }), "{action:?}");
}

#[test]
fn release_clears_the_holder_and_keeps_transitions() {
    let current = mk_spec(Some(ME), Some(15), Some(7));
    let spec = released(&current, wall("2026-12-01T08:30:00.5Z"));
    assert_eq!(spec.holder_identity, None);
    assert_eq!(spec.lease_duration_seconds, Some(1));
    assert_eq!(spec.lease_transitions, Some(7));
    assert_eq!(time_json(&spec.renew_time), "2026-12-01T08:30:00.500000Z");
    assert_eq!(holder(&spec), None);
}

#[test]
fn duration_is_whole_seconds_and_never_zero() {
    assert_eq!(seconds(Duration::from_millis(15_900)), 15);
    assert_eq!(seconds(Duration::from_millis(300)), 1);
    assert_eq!(seconds(Duration::from_secs(u64::MAX)), i32::MAX);
}
