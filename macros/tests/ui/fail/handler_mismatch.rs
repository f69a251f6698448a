use tether::contract::TypedSocket;

#[tether::events]
pub trait Client {
    fn join(room: String) -> Vec<String>;
    fn say(room: String, text: String);
}

struct Chat;

// `say` is missing, and `join` acknowledges with a `String` where the contract
// declares `Vec<String>`. (What the sockets emit plays no part here.)
impl ClientHandler for Chat {
    type Emits = Client;

    async fn join(&self, _socket: TypedSocket<Client>, room: String) -> String {
        room
    }
}

fn main() {}
