use tether::contract::TypedSocket;
use tether::server::{Server as Io, ServerConfig};

#[tether::events]
pub trait Client {
    fn join(room: String);
}

#[tether::events]
pub trait Server {
    fn message(text: String);
}

struct Chat;

impl ClientHandler for Chat {
    type Emits = Server;

    async fn join(&self, _socket: TypedSocket<Server>, _room: String) {}
}

struct NotAHandler;

fn main() {
    let io = Io::new(ServerConfig::default());
    // The namespace emits what the handler's sockets emit (`Server`), not `Client`.
    let _ = io.of("/a").bind::<Client, _>(Chat).join("lobby");
    io.of("/b").bind::<Server, _>(Chat);
    io.of("/c").bind::<Client, _>(NotAHandler);
}
