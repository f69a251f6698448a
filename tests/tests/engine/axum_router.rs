//! The tower `EngineLayer` mounted in an axum `Router` beside other routes.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use tether::engine::Engine;
use tether::http::EngineLayer;
use tether_tests::server::quiet_config;
use tether_tests::{HttpRequest, OpenPacket, Recorder, WsClient};
use tokio::sync::oneshot;

/// Serves an echo engine at `/engine.io/` and `/health` through axum.
async fn start() -> (SocketAddr, Engine<Recorder>, oneshot::Sender<()>) {
    let engine = Engine::new(quiet_config(), Recorder::new(true));
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .layer(EngineLayer::new(engine.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    (addr, engine, stop)
}

#[tokio::test]
async fn other_routes_still_answer() {
    let (addr, engine, stop) = start().await;
    let health = HttpRequest::get("/health").send(addr).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.text(), "ok");
    let missing = HttpRequest::get("/nowhere").send(addr).await;
    assert_eq!(missing.status, 404);
    assert_eq!(engine.connection_count(), 0);
    let _ = stop.send(());
}

#[tokio::test]
async fn polling_works_through_the_router() {
    let (addr, engine, stop) = start().await;
    let reply = HttpRequest::get("/engine.io/?EIO=4&transport=polling")
        .send(addr)
        .await;
    assert_eq!(reply.status, 200);
    let open = OpenPacket::parse(reply.text());
    assert_eq!(engine.connection_count(), 1);
    let path = format!("/engine.io/?EIO=4&transport=polling&sid={}", open.sid);
    assert_eq!(
        HttpRequest::post(path.clone(), "4hi")
            .send(addr)
            .await
            .text(),
        "ok"
    );
    assert_eq!(HttpRequest::get(path).send(addr).await.text(), "4hi");
    HttpRequest::get("/engine.io/?EIO=4&transport=bogus")
        .send(addr)
        .await
        .assert_error(400, 0, "Transport unknown");
    let _ = stop.send(());
}

#[tokio::test]
async fn websocket_and_upgrade_work_through_the_router() {
    let (addr, engine, stop) = start().await;
    let mut ws = WsClient::connect(addr, "/engine.io/?EIO=4&transport=websocket").await;
    OpenPacket::parse(&ws.expect_text().await);
    ws.send_binary(vec![9, 8, 7]).await;
    assert_eq!(ws.expect_binary().await, [9, 8, 7]);

    let reply = HttpRequest::get("/engine.io/?EIO=4&transport=polling")
        .send(addr)
        .await;
    let sid = OpenPacket::parse(reply.text()).sid;
    let mut upgraded = WsClient::connect(
        addr,
        &format!("/engine.io/?EIO=4&transport=websocket&sid={sid}"),
    )
    .await;
    upgraded.send_text("2probe").await;
    assert_eq!(upgraded.expect_text().await, "3probe");
    upgraded.send_text("5").await;
    upgraded.send_text("4upgraded").await;
    assert_eq!(upgraded.expect_text().await, "4upgraded");
    assert_eq!(engine.connection_count(), 2);

    engine.close_all(std::time::Duration::ZERO).await;
    let _ = stop.send(());
}
