use tether::contract::TypedSocket;

#[tether::events]
pub trait Server {
    fn message(text: String);
    fn presence(room: String, users: Vec<String>);
}

fn emit(socket: TypedSocket<Server>) {
    let _ = socket.message(42);
    let _ = socket.presence("lobby", vec![1, 2]);
}

fn main() {}
