use tether::contract::TypedSocket;

#[tether::events]
pub trait Client {
    fn join(room: String) -> Vec<String>;
}

#[tether::events]
pub trait Server {
    fn message(text: String);
}

struct Chat;

impl ClientHandler for Chat {
    type Emits = Server;

    async fn join(&self, _socket: TypedSocket<Server>, room: String) -> String {
        room
    }
}

fn main() {}
