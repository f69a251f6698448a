use tether::contract::TypedSocket;

#[tether::events]
pub trait Client {
    fn say(text: String);
}

#[tether::events]
pub trait Server {
    fn message(text: String);
}

struct Chat;

impl ClientHandler for Chat {
    type Emits = Server;

    async fn say(&self, socket: TypedSocket<Server>, text: String) {
        let _ = socket.message(&text);
        let _ = socket.say(&text);
        let _ = socket.namespace().to("room").say(&text);
        let _ = ClientEmitter::say(&socket, text);
    }
}

fn main() {}
