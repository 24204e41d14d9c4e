//! Leader election against a mocked API server replaying recorded answers (kube-rs's
//! tower-test pattern), in paused time: a 15 s lease runs out in milliseconds.
#![allow(missing_docs)]

#[path = "leader_election/fake.rs"]
mod fake;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake::{
    FakeLease, LEASE, LEASES, MockHandle, NAME, NAMESPACE, assert_micro_times, next, not_found,
    recording, respond, serve,
};
use http::{Method, Request, Response};
use kds_webhook::controller::leader::{LeaderElector, LeaseSettings};
use kube::client::Body;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};
use tokio_util::sync::CancellationToken;

const ME: &str = "kds-controller-6d5f7c9b8-x2k4q";
const OTHER: &str = "kds-controller-6d5f7c9b8-p9z7m";

struct Candidate {
    leading: watch::Receiver<bool>,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

/// Starts an elector with the default timings on its own mocked connection.
fn start(identity: &str) -> (Candidate, MockHandle) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = kube::Client::new(service, "default");
    let elector = LeaderElector::new(client, LeaseSettings::new(NAMESPACE, NAME, identity));
    let (tx, leading) = watch::channel(false);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(elector.run(tx, shutdown.clone()));
    let candidate = Candidate {
        leading,
        shutdown,
        task,
    };
    (candidate, handle)
}

/// Waits until `leading` shows `value`, and returns when (virtual time).
async fn until(leading: &mut watch::Receiver<bool>, value: bool) -> Instant {
    timeout(Duration::from_secs(120), leading.wait_for(|&v| v == value))
        .await
        .expect("leadership changes in time")
        .expect("the elector is running");
    Instant::now()
}

/// GET → 404 → POST (checked against [30]) → 201 [30]: returns when the 201 was sent.
async fn acquire(handle: &mut MockHandle) -> Instant {
    let (method, path, _, send) = next(handle).await;
    assert_eq!((method, path.as_str()), (Method::GET, LEASE));
    respond(send, 404, &not_found());

    let (method, path, body, send) = next(handle).await;
    assert_eq!((method, path.as_str()), (Method::POST, LEASES));
    assert_micro_times(&body);
    assert_eq!(body["spec"]["acquireTime"], body["spec"]["renewTime"]);
    let mut expected = recording(30)["request"]["body"].clone();
    expected["spec"]["acquireTime"] = body["spec"]["acquireTime"].clone();
    expected["spec"]["renewTime"] = body["spec"]["renewTime"].clone();
    assert_eq!(
        body, expected,
        "the POST is the recorded one but for the times"
    );
    respond(send, 201, &recording(30)["response"]["body"]);
    Instant::now()
}

#[tokio::test(start_paused = true)]
async fn first_acquisition_creates_the_lease_and_leads() {
    let (mut me, mut handle) = start(ME);
    assert!(!*me.leading.borrow());
    acquire(&mut handle).await;
    until(&mut me.leading, true).await;
    me.task.abort();
}

#[tokio::test(start_paused = true)]
async fn renewal_puts_with_the_resource_version_it_was_given() {
    let (mut me, mut handle) = start(ME);
    let created = acquire(&mut handle).await;
    until(&mut me.leading, true).await;

    // The leader renews from its own write (no GET), one retry period later.
    let (method, path, body, send) = next(&mut handle).await;
    assert_eq!((method, path.as_str()), (Method::PUT, LEASE));
    assert_eq!(Instant::now() - created, Duration::from_secs(2));
    assert_micro_times(&body);
    assert_ne!(body["spec"]["renewTime"], body["spec"]["acquireTime"]);
    let mut expected = recording(31)["request"]["body"].clone();
    expected["spec"]["renewTime"] = body["spec"]["renewTime"].clone();
    assert_eq!(
        body, expected,
        "the PUT is the recorded one (rv 558) but for renewTime"
    );
    respond(send, 200, &recording(31)["response"]["body"]);

    // The next renewal carries the resourceVersion the server returned.
    let (method, _, body, send) = next(&mut handle).await;
    assert_eq!(method, Method::PUT);
    assert_eq!(body["metadata"]["resourceVersion"], "559");
    assert_eq!(body["spec"]["leaseTransitions"], 0);
    assert!(*me.leading.borrow(), "still leading while renewals succeed");
    drop(send);
    me.task.abort();
}

#[tokio::test(start_paused = true)]
async fn stale_renewal_is_a_lost_race_and_stops_leading_at_once() {
    let (mut me, mut handle) = start(ME);
    acquire(&mut handle).await;
    until(&mut me.leading, true).await;

    let (method, _, body, send) = next(&mut handle).await;
    assert_eq!(method, Method::PUT);
    assert_eq!(body["metadata"]["resourceVersion"], "558");
    let answered = Instant::now();
    respond(send, 409, &recording(32)["response"]["body"]);
    assert_eq!(until(&mut me.leading, false).await, answered, "no delay");

    // It then reads the Lease afresh instead of trusting its copy.
    let (method, path, _, send) = next(&mut handle).await;
    assert_eq!((method, path.as_str()), (Method::GET, LEASE));
    drop(send);
    me.task.abort();
}

#[tokio::test(start_paused = true)]
async fn renewal_that_keeps_failing_steps_down_within_the_renew_deadline() {
    let (mut me, mut handle) = start(ME);
    let renewed = acquire(&mut handle).await;
    until(&mut me.leading, true).await;

    let server_error = recording(16)["response"]["body"].clone();
    assert_eq!(server_error["code"], 500);
    let mut failures = 0;
    let failing = async {
        loop {
            tokio::select! {
                request = handle.next_request() => {
                    let (_, send) = request.expect("the elector keeps trying");
                    failures += 1;
                    respond(send, 500, &server_error);
                }
                changed = me.leading.changed() => {
                    changed.expect("the elector is running");
                    assert!(!*me.leading.borrow());
                    break Instant::now();
                }
            }
        }
    };
    let stepped_down = timeout(Duration::from_secs(60), failing)
        .await
        .expect("it stops leading");
    assert_eq!(
        stepped_down - renewed,
        Duration::from_secs(10),
        "exactly the renew deadline"
    );
    assert!(
        failures >= 4,
        "it retried every retry period, {failures} attempts"
    );
    me.task.abort();
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_leading_then_releases_the_lease() {
    let (mut me, mut handle) = start(ME);
    acquire(&mut handle).await;
    until(&mut me.leading, true).await;

    me.shutdown.cancel();
    until(&mut me.leading, false).await;

    let (method, path, _, send) = next(&mut handle).await;
    assert_eq!((method, path.as_str()), (Method::GET, LEASE));
    assert!(!*me.leading.borrow(), "stopped leading before releasing");
    respond(send, 200, &recording(30)["response"]["body"]);

    let (method, path, body, send) = next(&mut handle).await;
    assert_eq!((method, path.as_str()), (Method::PUT, LEASE));
    assert_eq!(body["metadata"]["resourceVersion"], "558");
    assert_eq!(body["spec"].get("holderIdentity"), None, "holder cleared");
    assert_eq!(body["spec"]["leaseDurationSeconds"], 1);
    assert_eq!(body["spec"]["leaseTransitions"], 0);
    assert_micro_times(&body);
    let mut released = recording(31)["response"]["body"].clone();
    released["spec"] = body["spec"].clone();
    respond(send, 200, &released);

    timeout(Duration::from_secs(1), me.task)
        .await
        .expect("run returns after releasing")
        .expect("run does not panic");
}

#[tokio::test(start_paused = true)]
async fn follower_takes_over_only_after_the_lease_expires_by_its_own_clock() {
    let (mut me, mut handle) = start(ME);
    // Held by another replica whose renewTime (by its clock) is an hour old: irrelevant.
    let mut held = recording(31)["response"]["body"].clone();
    held["spec"]["holderIdentity"] = Value::from(OTHER);
    held["spec"]["renewTime"] = Value::from("2026-12-01T07:23:05.123456Z");
    let first_seen = Instant::now();
    let taken = loop {
        let (method, path, body, send) = next(&mut handle).await;
        assert_eq!(path, LEASE);
        if method == Method::GET {
            assert!(!*me.leading.borrow());
            respond(send, 200, &held);
            continue;
        }
        assert_eq!(method, Method::PUT);
        break (body, send);
    };
    let (body, send) = taken;
    assert_eq!(
        Instant::now() - first_seen,
        Duration::from_secs(16),
        "first attempt after 15 s"
    );
    assert_eq!(
        body["metadata"]["resourceVersion"], "559",
        "conditional on the read version"
    );
    assert_eq!(body["spec"]["holderIdentity"], ME);
    assert_eq!(body["spec"]["leaseTransitions"], 1, "a change of holder");
    assert_eq!(body["spec"]["acquireTime"], body["spec"]["renewTime"]);
    assert_micro_times(&body);
    let mut answer = held.clone();
    answer["spec"] = body["spec"].clone();
    answer["metadata"]["resourceVersion"] = Value::from("560");
    respond(send, 200, &answer);
    until(&mut me.leading, true).await;
    me.task.abort();
}

#[tokio::test(start_paused = true)]
async fn shutdown_while_following_writes_nothing() {
    let (me, mut handle) = start(ME);
    let (method, _, _, send) = next(&mut handle).await;
    assert_eq!(method, Method::GET);
    let mut held = recording(30)["response"]["body"].clone();
    held["spec"]["holderIdentity"] = Value::from(OTHER);
    respond(send, 200, &held);
    sleep(Duration::from_secs(1)).await;

    me.shutdown.cancel();
    timeout(Duration::from_secs(1), me.task)
        .await
        .expect("run returns")
        .expect("run does not panic");
    let after = timeout(Duration::from_secs(5), handle.next_request()).await;
    assert!(!matches!(after, Ok(Some(_))), "no release by a follower");
}

/// Who led, from when, as seen by a watcher of one candidate.
fn record_changes(mut leading: watch::Receiver<bool>) -> Arc<Mutex<Vec<(Instant, bool)>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let out = log.clone();
    tokio::spawn(async move {
        while leading.changed().await.is_ok() {
            let value = *leading.borrow_and_update();
            out.lock().expect("log lock").push((Instant::now(), value));
        }
    });
    log
}

#[tokio::test(start_paused = true)]
async fn two_candidates_one_leads_the_other_takes_over_after_expiry() {
    let fake = Arc::new(Mutex::new(FakeLease::default()));
    let mut candidates = Vec::new();
    for identity in [ME, OTHER] {
        let (candidate, handle) = start(identity);
        let cut = Arc::new(AtomicBool::new(false));
        tokio::spawn(serve(handle, fake.clone(), cut.clone()));
        let log = record_changes(candidate.leading.clone());
        candidates.push((identity, candidate, cut, log));
    }

    // Both find no Lease and POST; one gets 201, the other 409 AlreadyExists and follows.
    sleep(Duration::from_secs(30)).await;
    let leaders: Vec<usize> = (0..2)
        .filter(|&i| *candidates[i].1.leading.borrow())
        .collect();
    assert_eq!(leaders.len(), 1, "exactly one leads");
    let (l, f) = (leaders[0], 1 - leaders[0]);
    assert!(
        candidates[f].3.lock().expect("log").is_empty(),
        "the follower never led"
    );
    {
        let fake = fake.lock().expect("fake");
        assert!(
            fake.writes.len() >= 10,
            "the leader renews every retry period"
        );
        assert!(
            fake.writes
                .iter()
                .all(|w| w.holder.as_deref() == Some(candidates[l].0))
        );
        assert!(fake.writes.iter().all(|w| w.spec["leaseTransitions"] == 0));
    }

    // The leader is cut off from the API server: its calls hang.
    candidates[l].2.store(true, Ordering::SeqCst);
    let last_renewal = {
        sleep(Duration::from_millis(1)).await;
        fake.lock()
            .expect("fake")
            .last_write_by(candidates[l].0)
            .expect("renewed")
            .at
    };
    let down = until(&mut candidates[l].1.leading, false).await;
    let up = until(&mut candidates[f].1.leading, true).await;
    assert!(
        down - last_renewal <= Duration::from_secs(10),
        "old leader stops within the renew deadline"
    );
    assert!(down < up, "never two leaders");
    let gap = up - last_renewal;
    assert!(
        gap >= Duration::from_secs(15) && gap <= Duration::from_secs(19),
        "takeover after expiry, within duration + two retry periods: {gap:?}"
    );
    {
        let fake = fake.lock().expect("fake");
        let lease = fake.lease.as_ref().expect("lease exists");
        assert_eq!(lease["spec"]["holderIdentity"], candidates[f].0);
        assert_eq!(lease["spec"]["leaseTransitions"], 1, "one change of holder");
        let taken = fake
            .last_write_by(candidates[f].0)
            .expect("new holder wrote");
        assert_eq!(taken.spec["acquireTime"], taken.spec["renewTime"]);
        eprintln!(
            "stepped down {:?} and taken over {gap:?} after the last renewal",
            down - last_renewal
        );
    }

    // Reconnected, the old leader sees the new holder's renewals and follows.
    candidates[l].2.store(false, Ordering::SeqCst);
    sleep(Duration::from_secs(60)).await;
    assert!(!*candidates[l].1.leading.borrow());
    assert!(*candidates[f].1.leading.borrow());
    let changes = candidates[l].3.lock().expect("log").clone();
    assert_eq!(changes.len(), 2, "led once, stopped once: {changes:?}");
    for (_, candidate, _, _) in candidates {
        candidate.task.abort();
    }
}
