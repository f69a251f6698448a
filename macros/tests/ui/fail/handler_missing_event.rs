use tether::contract::TypedSocket;

#[tether::events]
pub trait Client {
    fn join(room: String) -> Vec<String>;
    fn say(room: String, text: String);
}

#[tether::events]
pub trait Server {
    fn message(text: String);
}

struct Chat;

impl ClientHandler for Chat {
    type Emits = Server;

    async fn join(&self, _socket: TypedSocket<Server>, _room: String) -> Vec<String> {
        Vec::new()
    }
}

fn main() {}
