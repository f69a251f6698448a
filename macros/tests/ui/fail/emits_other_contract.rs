use tether::contract::TypedSocket;
use tether::server::{Server as Io, ServerConfig};

#[tether::events]
pub trait Client {
    fn say(text: String);
}

#[tether::events]
pub trait Server {
    fn message(text: String);
}

struct Chat;

// The handler's sockets emit `Server`: neither they, their broadcasts nor the
// namespace they are bound to can emit `Client`.
impl ClientHandler for Chat {
    type Emits = Server;

    async fn say(&self, socket: TypedSocket<Server>, text: String) {
        let _ = socket.message(&text);
        let _ = socket.say(&text);
        let _ = socket.namespace().to("room").say(&text);
        let _ = ClientEmitter::say(&socket, text);
    }
}

struct NotAHandler;

fn main() {
    let io = Io::new(ServerConfig::default());
    let _ = io.of("/a").bind::<Client, _>(Chat).say("lobby");
    // Binding needs a handler of the contract named.
    io.of("/b").bind::<Server, _>(Chat);
    io.of("/c").bind::<Client, _>(NotAHandler);
}
