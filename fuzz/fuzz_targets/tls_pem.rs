//! Certificate and key loading, as `serve` reads `tls.crt`/`tls.key` at start and on every
//! reload, `--client-ca` for mTLS, and `certs`/`manifests` inspect a certificate: any bytes
//! give a configuration or an error, never a panic.
//!
//! Input: the certificate file, then a line `-----KEY-----`, then the key file (without that
//! line, the whole input is both).
#![no_main]

use kds_webhook::certs;
use kds_webhook::server::tls::{self, Settings};
use libfuzzer_sys::fuzz_target;

const SEPARATOR: &[u8] = b"-----KEY-----\n";

fuzz_target!(|data: &[u8]| {
    let (cert, key) = match data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        Some(i) => (&data[..i], &data[i + SEPARATOR.len()..]),
        None => (data, data),
    };
    let settings = Settings {
        client_roots: None,
        http2: true,
    };
    if let Err(e) = tls::server_config(cert, key, &settings) {
        kds_webhook_fuzz::assert_no_rust_names(&e.to_string(), data);
    }
    match tls::client_roots(cert) {
        Ok(roots) => {
            let settings = Settings {
                client_roots: Some(roots),
                http2: false,
            };
            let _ = tls::server_config(cert, key, &settings);
        }
        Err(e) => kds_webhook_fuzz::assert_no_rust_names(&e.to_string(), data),
    }
    match certs::inspect(cert) {
        Ok(info) => {
            let _ = info.covers(&["kds-webhook.kds-system.svc".to_owned()]);
            let _ = info.expires_within(std::time::Duration::from_secs(86_400));
        }
        Err(e) => kds_webhook_fuzz::assert_no_rust_names(&e.to_string(), data),
    }
});
