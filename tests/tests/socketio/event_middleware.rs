//! Event middlewares through the typed layer: a middleware written against a
//! contract's event enum refuses events by their decoded arguments, lets the rest
//! through to the typed handlers, and leaves undecodable events to them.

use serde_json::json;
use tether::contract::typed_middleware;
use tether::server::{EventFlow, EventRejection, Socket};
use tether_tests::SioServer;

#[tether::events]
trait NotesClient {
    /// Posts a note; acknowledged with its length.
    fn post(text: String) -> usize;
}

#[tether::events]
trait NotesServer {}

struct Notes;

impl NotesClientHandler for Notes {
    type Emits = NotesServer;

    async fn post(
        &self,
        _socket: tether::contract::TypedSocket<NotesServer>,
        text: String,
    ) -> usize {
        text.len()
    }
}

#[tokio::test]
async fn a_typed_middleware_refuses_by_decoded_arguments() {
    let server = SioServer::with(|io| {
        let notes = io.main();
        notes.use_event_middleware(typed_middleware::<NotesClient, _>(
            |_socket: &Socket, event: &NotesClientEvent| match event {
                NotesClientEvent::Post { text } if text.len() > 5 => {
                    Err(EventRejection::new("too long").with_data(json!({ "max": 5 })))
                }
                _ => Ok(EventFlow::Pass),
            },
        ));
        notes.bind::<NotesClient, _>(Notes);
    })
    .await;
    let (mut client, _) = server.client("/").await;

    let short = client.emit_with_ack("/", "post", json!(["hey"])).await;
    assert_eq!(
        client.expect_ack("/", short).await.text,
        format!("3{short}[3]")
    );

    let long = client
        .emit_with_ack("/", "post", json!(["far too long"]))
        .await;
    assert_eq!(
        client.expect_ack("/", long).await.text,
        format!(
            r#"3{long}[{{"error":"rejected","event":"post","message":"too long","data":{{"max":5}}}}]"#
        )
    );

    let wrong = client.emit_with_ack("/", "post", json!([42])).await;
    let answer = client.expect_ack("/", wrong).await.text;
    assert!(
        answer.contains(r#""error":"invalid_arguments""#),
        "{answer}"
    );
    server.stop().await;
}
