//! Typed rooms go wherever room names do.

use tether::contract::TypedSocket;
use tether::server::Room;

#[derive(tether::Room)]
enum GameRoom {
    Lobby,
    #[room("match:{0}")]
    Match(u64),
    #[room("team:{team}:{id:03}")]
    Team { id: u32, team: String },
    Spectators(u64),
    #[room("{{literal}}")]
    Braces,
}

#[derive(tether::Room)]
#[room("user:{0}")]
struct UserRoom(u64);

#[derive(tether::Room)]
struct Announcements;

#[tether::events]
pub trait Events {
    fn tick(n: u64);
}

#[allow(dead_code)]
fn route(socket: &TypedSocket<Events>) {
    socket.join(GameRoom::Match(42));
    socket.join([GameRoom::Lobby, GameRoom::Spectators(1)]);
    socket.leave(&GameRoom::Lobby);
    let _ = socket.to(GameRoom::Match(42)).except(UserRoom(7)).tick(1);
    let _ = socket.within("plain string rooms still work").tick(2);
}

fn main() {
    assert_eq!(Room::from(GameRoom::Lobby).as_str(), "lobby");
    assert_eq!(Room::from(GameRoom::Match(42)).as_str(), "match:42");
    let team = GameRoom::Team { id: 7, team: "red".into() };
    assert_eq!(Room::from(&team).as_str(), "team:red:007");
    assert_eq!(Room::from(GameRoom::Spectators(3)).as_str(), "spectators:3");
    assert_eq!(Room::from(GameRoom::Braces).as_str(), "{literal}");
    assert_eq!(Room::from(UserRoom(9)).as_str(), "user:9");
    assert_eq!(Room::from(Announcements).as_str(), "announcements");
}
