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

// `say` is missing, and `join` acknowledges with a `String` where the contract
// declares `Vec<String>`.
impl ClientHandler for Chat {
    type Emits = Server;

    async fn join(&self, _socket: TypedSocket<Server>, room: String) -> String {
        room
    }
}

fn main() {}
