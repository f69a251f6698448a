//! Tether nodes finding Redis through Sentinel (`RedisConfig::with_sentinel`): the
//! test starts a master, a replica and a Sentinel watching them, checks that two
//! tether nodes share broadcasts, kills the master, and checks that the nodes
//! follow the failover to the promoted replica and share broadcasts again.

use std::process::{Command, Stdio};
use std::time::Duration;

use tether::adapter::redis::RedisConfig;
use tether::server::Server;
use tether_tests::PATIENCE;
use tether_tests::client::reporting_client;
use tether_tests::redis::{FREE_PORT, RedisNode, RedisProcess, TempDir, unique_key};

/// The master set's name in the Sentinel's configuration.
const MASTER: &str = "tether";

/// How long a failover may take: Sentinel notices the master down (300 ms here),
/// elects itself and promotes the replica, a few seconds in all.
const FAILOVER: Duration = Duration::from_secs(30);

/// Waits until `redis-cli -p port args...` prints something containing `wanted`,
/// for at most `patience`.
async fn wait_for_cli(port: u16, args: &[&str], wanted: &str, patience: Duration) {
    let deadline = tokio::time::Instant::now() + patience;
    let port = port.to_string();
    loop {
        let output = Command::new("redis-cli")
            .args(["-p", &port])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli runs (Debian's redis-tools, installed with redis-server)");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if text.contains(wanted) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "redis-cli -p {port} {args:?} never printed {wanted:?}: {text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn nodes_follow_a_sentinel_failover() {
    let files = TempDir::new("sentinel");
    let master = RedisProcess::start_private().await;
    let master_port = master.port();
    let master_text = master_port.to_string();
    let replica = RedisProcess::start_private_with(&[
        "--port",
        FREE_PORT,
        "--replicaof",
        "127.0.0.1",
        &master_text,
    ])
    .await;
    let replica_port = replica.port();
    let replica_text = replica_port.to_string();
    wait_for_cli(
        replica_port,
        &["info", "replication"],
        "master_link_status:up",
        PATIENCE,
    )
    .await;

    let sentinel_port = RedisProcess::free_port();
    let config_file = files.write(
        "sentinel.conf",
        &format!(
            "port {sentinel_port}\nbind 127.0.0.1\n\
             sentinel monitor {MASTER} 127.0.0.1 {master_port} 1\n\
             sentinel down-after-milliseconds {MASTER} 300\n\
             sentinel failover-timeout {MASTER} 2000\n"
        ),
    );
    let _sentinel = RedisProcess::start_raw(
        &RedisProcess::required_binary(),
        sentinel_port,
        &[&config_file, "--sentinel"],
    )
    .await;
    // The Sentinel knows the replica it would promote.
    wait_for_cli(
        sentinel_port,
        &["sentinel", "replicas", MASTER],
        &replica_text,
        PATIENCE,
    )
    .await;

    let key = unique_key("sentinel");
    let config = RedisConfig::new(format!("redis://127.0.0.1:{sentinel_port}"))
        .with_key(&key)
        .with_sentinel(MASTER);
    let a = RedisNode::start_with(config.clone(), |_: &Server| {}).await;
    let b = RedisNode::start_with(config, |_: &Server| {}).await;
    let (_on_a, _, mut seen_a) = reporting_client(&a.url()).await;
    b.io().emit("before", &()).unwrap();
    assert_eq!(seen_a.next().await, "before");

    drop(master);
    a.wait_unsubscribed().await;
    // The Sentinel promotes the replica; the nodes ask it again and reconnect.
    wait_for_cli(
        sentinel_port,
        &["sentinel", "get-master-addr-by-name", MASTER],
        &replica_text,
        FAILOVER,
    )
    .await;
    a.expect_broadcasts_from(&b, &mut seen_a).await;
    a.stop().await;
    b.stop().await;
}
