#[derive(tether::Room)]
enum GameRoom {
    #[room("match:{id}")]
    Match(u64),
    #[room("team:{0")]
    Team(u32),
    #[room(42)]
    Bad,
}

#[derive(tether::Room)]
#[room("x")]
enum OnEnum {
    A,
}

fn main() {}
