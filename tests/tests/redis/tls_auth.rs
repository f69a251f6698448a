//! Connection URLs as users write them, against `redis-server` processes of the
//! tests' own: TLS (`rediss://`) with a CA the test generates, a wrong CA refused
//! with a clear error in bounded time, a password (`requirepass`) and an ACL user
//! with percent-encoded credentials, a wrong password refused.

use std::time::Duration;

use serde_json::Value;
use tether::adapter::redis::{RedisAdapter, RedisConfig, RedisError};
use tether_tests::PATIENCE;
use tether_tests::certs::{authority, server_certificate};
use tether_tests::client::reporting_client;
use tether_tests::redis::{
    FREE_PORT, RedisNode, RedisProcess, TempDir, join_and_shout_on_main, unique_key,
};

/// Two nodes started from `config` share a broadcast both ways.
async fn two_nodes_share_broadcasts(config: RedisConfig) {
    let a = RedisNode::start_with(config.clone(), join_and_shout_on_main).await;
    let b = RedisNode::start_with(config, join_and_shout_on_main).await;
    let (_on_a, _, mut seen_a) = reporting_client(&a.url()).await;
    let (_on_b, _, mut seen_b) = reporting_client(&b.url()).await;
    a.io().emit("from a", &Value::Null).unwrap();
    b.io().emit("from b", &Value::Null).unwrap();
    // Each client gets both, its own node's first or not.
    for seen in [&mut seen_a, &mut seen_b] {
        let mut names = seen.take(2).await;
        names.sort();
        assert_eq!(names, ["from a", "from b"]);
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn nodes_share_broadcasts_over_tls_and_a_wrong_ca_is_refused() {
    let files = TempDir::new("tls");
    let (ca, issuer) = authority();
    let (certificate, key) = server_certificate(&issuer);
    let ca_file = files.write("ca.pem", &ca);
    let certificate_file = files.write("server.pem", &certificate);
    let key_file = files.write("server.key", &key);
    let redis = RedisProcess::start_private_with(&[
        "--port",
        "0",
        "--tls-port",
        FREE_PORT,
        "--tls-cert-file",
        &certificate_file,
        "--tls-key-file",
        &key_file,
        "--tls-ca-cert-file",
        &ca_file,
        "--tls-auth-clients",
        "no",
    ])
    .await;
    let port = redis.port();
    let url = format!("rediss://127.0.0.1:{port}");
    let key = unique_key("tls");

    two_nodes_share_broadcasts(RedisConfig::new(&url).with_key(&key).with_tls_ca(ca)).await;

    // Another authority's certificate: refused, with the reason, in bounded time.
    let (other_ca, _) = authority();
    let config = RedisConfig::new(&url).with_key(&key).with_tls_ca(other_ca);
    let error = tokio::time::timeout(PATIENCE, RedisAdapter::connect(config))
        .await
        .expect("an answer within the test's patience")
        .expect_err("a certificate of an unknown authority");
    assert!(matches!(error, RedisError::Tls(_)), "{error:?}");
    assert!(error.to_string().contains("certificate"), "{error}");

    // Plain text to a TLS port: refused too, never a hang.
    let config = RedisConfig::new(format!("redis://127.0.0.1:{port}"))
        .with_connect_timeout(Duration::from_millis(500));
    let answer = tokio::time::timeout(PATIENCE, RedisAdapter::connect(config)).await;
    assert!(matches!(answer, Ok(Err(_))), "{answer:?}");
}

#[tokio::test]
async fn passwords_and_acl_users_from_the_url() {
    let redis = RedisProcess::start_private_with(&[
        "--port",
        FREE_PORT,
        "--requirepass",
        "default:pass",
        "--user",
        "alice",
        "on",
        ">p@ss:w/rd",
        "~*",
        "&*",
        "+@all",
    ])
    .await;
    let port = redis.port();
    let key = unique_key("auth");

    // The default user's password alone, then a user and an encoded password.
    let url = format!("redis://:default%3Apass@127.0.0.1:{port}/2");
    two_nodes_share_broadcasts(RedisConfig::new(url).with_key(&key)).await;
    let url = format!("redis://alice:p%40ss%3Aw%2Frd@127.0.0.1:{port}");
    two_nodes_share_broadcasts(RedisConfig::new(url).with_key(&key)).await;

    for url in [
        format!("redis://alice:wrong@127.0.0.1:{port}"),
        format!("redis://127.0.0.1:{port}"),
    ] {
        let error = tokio::time::timeout(PATIENCE, RedisAdapter::connect(RedisConfig::new(url)))
            .await
            .expect("an answer within the test's patience")
            .expect_err("wrong or missing credentials");
        assert!(matches!(error, RedisError::Redis(_)), "{error:?}");
    }
}
