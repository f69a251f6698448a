//! What the WebSocket tests of this directory share: a raw client connection
//! and reading its next text frame.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// A raw WebSocket client connection.
pub type Ws = WebSocketStream<TcpStream>;

/// The next text frame, Engine.IO pings answered on the way.
pub async fn read(ws: &mut Ws) -> String {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .expect("the connection is open")
            .unwrap();
        if let Message::Text(text) = frame {
            if text.as_str() == "2" {
                ws.send(Message::text("3")).await.unwrap();
                continue;
            }
            return text.as_str().to_owned();
        }
    }
}
