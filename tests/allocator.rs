//! The allocator's run-time defaults: set by `allocator::configure`, overridden by mimalloc's
//! own environment variable. mimalloc reads its environment once per process, so each case runs
//! in a child process (this test binary, running only this test).

use std::process::Command;

const CHILD: &str = "KDS_TEST_EXPECT_PURGE_DELAY";

/// The test's name as the harness knows it: its module path without the crate's name.
fn test_name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    format!("{module}::purge_delay_defaults_to_100_ms_and_the_environment_overrides_it")
}

#[test]
fn purge_delay_defaults_to_100_ms_and_the_environment_overrides_it() {
    if let Ok(want) = std::env::var(CHILD) {
        kds_webhook::allocator::configure();
        assert_eq!(kds_webhook::allocator::purge_delay_ms().to_string(), want);
        println!("{CHILD}={want} held");
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    // 123 set by name reaching the option configure() sets by index proves the index.
    for (env, want) in [(None, "100"), (Some("123"), "123")] {
        let mut child = Command::new(&exe);
        child
            .args(["--exact", &test_name(), "--nocapture"])
            .env(CHILD, want);
        match env {
            Some(v) => child.env("MIMALLOC_PURGE_DELAY", v),
            None => child.env_remove("MIMALLOC_PURGE_DELAY"),
        };
        let out = child.output().expect("child runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "MIMALLOC_PURGE_DELAY={env:?}: {stdout}"
        );
        // A child that matched no test would succeed too: its line proves it ran this one.
        assert!(stdout.contains(&format!("{CHILD}={want} held")), "{stdout}");
    }
}
