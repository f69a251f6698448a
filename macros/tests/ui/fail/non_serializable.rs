pub struct Opaque;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct NoSchema {
    pub value: u32,
}

#[tether::events]
pub trait Events {
    fn opaque(value: Opaque);
    fn no_schema(value: NoSchema) -> Opaque;
}

fn main() {}
