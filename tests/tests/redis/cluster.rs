//! Tether nodes on a Redis Cluster (`RedisConfig::with_cluster`: sharded pub/sub,
//! each channel on the node of its slot): the test starts three
//! `redis-server --cluster-enabled yes` on free ports, joins them with
//! `redis-cli --cluster create`, and checks that broadcasts of several namespaces
//! (channels on different slots) and server-side events cross two tether nodes,
//! and so do cluster requests (`fetch_sockets`, `sockets_join`/`leave`,
//! `server_side_emit_with_ack`, `emit_with_ack`), with room channels of their own
//! (`SubscriptionMode::Dynamic`).

use std::process::{Command, Stdio};
use std::time::Duration;

use tether::adapter::redis::{RedisConfig, SubscriptionMode};
use tether::protocol::Args;
use tether::server::Server;
use tether_tests::client::reporting_client;
use tether_tests::cluster::report_server_event;
use tether_tests::redis::{RedisNode, RedisProcess, TempDir, unique_key};
use tether_tests::{PATIENCE, probe, within};

/// Namespaces whose channels land on different slots.
const NAMESPACES: [&str; 4] = ["/", "/a", "/b", "/c"];

/// A free port whose cluster bus port (10,000 above) is free too.
fn cluster_port() -> u16 {
    loop {
        let port = RedisProcess::free_port();
        if port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

/// Runs `redis-cli` with `args`; its output when it succeeds.
fn redis_cli(args: &[&str]) -> Option<String> {
    let output = Command::new("redis-cli")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("redis-cli runs (Debian's redis-tools, installed with redis-server)");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Three cluster nodes, joined, each serving a third of the slots.
struct Cluster {
    _nodes: Vec<RedisProcess>,
    _files: TempDir,
    ports: Vec<u16>,
}

impl Cluster {
    async fn start() -> Cluster {
        let binary = RedisProcess::required_binary();
        let files = TempDir::new("cluster");
        let mut nodes = Vec::new();
        let mut ports = Vec::new();
        for _ in 0..3 {
            let port = cluster_port();
            let port_text = port.to_string();
            let config_file = files.path(&format!("nodes-{port}.conf"));
            let node = RedisProcess::start_with(
                &binary,
                port,
                &[
                    "--port",
                    &port_text,
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &config_file,
                    "--cluster-node-timeout",
                    "2000",
                ],
            )
            .await;
            nodes.push(node);
            ports.push(port);
        }
        let mut args: Vec<String> = vec!["--cluster".to_owned(), "create".to_owned()];
        args.extend(ports.iter().map(|port| format!("127.0.0.1:{port}")));
        args.extend(["--cluster-replicas", "0", "--cluster-yes"].map(str::to_owned));
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            redis_cli(&args).expect("redis-cli --cluster create succeeds");
        })
        .await
        .unwrap();
        // Every node must see the whole cluster before tether's nodes connect.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        for port in &ports {
            let port = port.to_string();
            loop {
                let info = redis_cli(&["-p", &port, "cluster", "info"]).unwrap_or_default();
                if info.contains("cluster_state:ok") {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the cluster is not ok within {PATIENCE:?}: {info}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Cluster {
            _nodes: nodes,
            _files: files,
            ports,
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.ports[0])
    }
}

/// The URL of namespace `nsp` on `node`.
fn url_of(node: &RedisNode, nsp: &str) -> String {
    match nsp {
        "/" => node.url(),
        _ => format!("{}{nsp}", node.url()),
    }
}

#[tokio::test]
async fn nodes_share_broadcasts_through_a_redis_cluster() {
    let cluster = Cluster::start().await;
    let key = unique_key("cluster");
    let config = RedisConfig::new(cluster.url())
        .with_key(&key)
        .with_cluster()
        .with_subscription_mode(SubscriptionMode::Dynamic);
    let (report, mut heard) = probe();
    let setup = |io: &Server| {
        for nsp in NAMESPACES {
            io.of(nsp);
        }
    };
    let a = RedisNode::start_with(config.clone(), |io: &Server| {
        setup(io);
        report_server_event(io, "hello", report);
        io.main()
            .on_server_event_with_ack("who", |_args: Args| async move { "a" });
    })
    .await;
    let b = RedisNode::start_with(config, setup).await;

    for nsp in NAMESPACES {
        let url = url_of(&a, nsp);
        let (_client, _, mut seen) = reporting_client(&url).await;
        b.io().of(nsp).emit("news", &nsp).unwrap();
        assert_eq!(seen.next().await, "news", "namespace {nsp}");
    }
    b.io().server_side_emit("hello", &"from b").unwrap();
    assert_eq!(heard.next().await, "from b");

    // Cluster requests, their nodes counted with SHARDNUMSUB over every node of
    // the cluster, and rooms on channels of their own, on other slots.
    for nsp in NAMESPACES {
        let url = url_of(&a, nsp);
        let (_client, id, mut seen) = reporting_client(&url).await;
        let found = b.io().of(nsp).fetch_sockets().await.unwrap();
        assert!(
            found.iter().any(|socket| socket.id() == id),
            "{nsp}: {found:?}"
        );
        let room = format!("room{nsp}");
        let everyone = b.io().of(nsp).broadcast();
        everyone.sockets_join(room.as_str()).await.unwrap();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            b.io()
                .of(nsp)
                .to(room.as_str())
                .emit("in room", &())
                .unwrap();
            match tokio::time::timeout(Duration::from_millis(100), seen.next()).await {
                Ok(event) => {
                    assert_eq!(event, "in room", "{nsp}");
                    break;
                }
                Err(_) => assert!(
                    tokio::time::Instant::now() < deadline,
                    "{nsp}: the room's broadcast never arrived"
                ),
            }
        }
        everyone.sockets_leave(room.as_str()).await.unwrap();
    }
    let answers: Vec<String> = b
        .io()
        .main()
        .server_side_emit_with_ack("who", &())
        .await
        .unwrap();
    assert_eq!(answers, ["a"]);
    let (_client, _, _) = reporting_client(&a.url()).await;
    let acks = within(
        b.io()
            .timeout(Duration::from_millis(500))
            .emit_with_ack::<String, _>("question", &())
            .collect_all(),
    )
    .await;
    assert!(
        !acks.is_empty()
            && acks
                .iter()
                .all(|(sid, ack)| sid.is_none()
                    && matches!(ack, Err(tether::server::AckError::Timeout))),
        "a's silent clients are counted: {acks:?}"
    );
    a.stop().await;
    b.stop().await;
}
