use tether::contract::TypedSocket;

#[tether::events]
pub trait Server {
    fn presence(room: String, users: Vec<String>);
}

fn emit(socket: TypedSocket<Server>) {
    let _ = socket.presence("lobby");
    let _ = socket.presence("lobby", vec![], "extra");
}

fn main() {}
