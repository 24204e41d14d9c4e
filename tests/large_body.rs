//! A large review over the real listener: the body arrives in many frames (TLS records, HTTP/2
//! DATA frames) and must reach the review byte for byte, over HTTP/1.1 and HTTP/2.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::common;

use common::{Client, H1, H2_AND_H1};
use http::StatusCode;
use kds_webhook::admission::{self, Context, Webhook};

/// The load benchmark's ~100 KB review (1,040 env variables).
const LARGE: &[u8] = include_bytes!("../benches/fixtures/review-100KB.json");

#[tokio::test]
async fn a_large_body_in_many_frames_is_reviewed_as_sent() {
    let pki = common::Pki::new();
    let mut config = pki.config();
    config.http2 = true;
    let running = common::start(config).await;
    for alpn in [H1, H2_AND_H1] {
        let cfg = common::client_config(&pki.ca_pem(), alpn, None);
        let mut c = Client::connect(running.addr(), cfg).await.unwrap();
        assert_eq!(c.is_h2(), alpn == H2_AND_H1);
        for (path, webhook) in [
            ("/mutate", Webhook::Mutate),
            ("/validate", Webhook::Validate),
        ] {
            let want = admission::review(LARGE, webhook, &Context::default());
            assert_eq!(want.status, StatusCode::OK);
            let got = c.post(path, LARGE.to_vec()).await.unwrap();
            assert_eq!(got.status, StatusCode::OK, "{path}");
            assert_eq!(got.body, want.body, "{path} over {alpn:?}");
        }
    }
    running.shutdown();
    running.wait().await;
}
