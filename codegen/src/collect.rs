//! From descriptors to one model every generator renders: the schema of every
//! argument, acknowledgement and auth payload, and the shared definitions.
//!
//! Each payload is described by the schemars contract of the side that reads it
//! as the server sees it: what the server **sends** (server → client arguments,
//! acknowledgements of client events) with the *serialize* contract, what it
//! **accepts** (client → server arguments, acknowledgements of server events, the
//! auth payload) with the *deserialize* contract. A type used both ways whose two
//! forms differ becomes two definitions: `Name` (as sent) and `NameInput` (as
//! accepted).

use std::collections::{BTreeMap, BTreeSet};

use schemars::Schema;
use schemars::generate::{Contract as SchemaContract, SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value};
use tether::contract::{ContractInfo, NamespaceDescriptor, SchemaFn};

use crate::model::{Arg, BYTES, Def, Event, Flow, INPUT_SUFFIX, Model, Namespace, Side};
use crate::schema::{self, DEFINITIONS};
use crate::{Error, names};

/// One schemars generator per contract; both see every root, so that two types
/// with one name collide in each whichever way they travel.
struct Generators {
    out: SchemaGenerator,
    into: SchemaGenerator,
}

impl Generators {
    fn new() -> Self {
        let settings = |contract: SchemaContract| {
            SchemaSettings::draft07().with(|settings| {
                settings.meta_schema = None;
                settings.contract = contract;
            })
        };
        let mut generators = Generators {
            out: settings(SchemaContract::Serialize).into_generator(),
            into: settings(SchemaContract::Deserialize).into_generator(),
        };
        generators.out.subschema_for::<tether::Bytes>();
        generators.into.subschema_for::<tether::Bytes>();
        generators
    }

    /// The schema of `root` as it travels `flow`.
    fn root(&mut self, root: impl Fn(&mut SchemaGenerator) -> Schema, flow: Flow) -> Value {
        let out = root(&mut self.out);
        let out = finish(&mut self.out, out);
        let into = root(&mut self.into);
        let into = finish(&mut self.into, into);
        match flow {
            Flow::Out => out,
            Flow::In => into,
        }
    }
}

/// A root schema with the generator's transforms applied, as its definitions get.
fn finish(generator: &mut SchemaGenerator, mut schema: Schema) -> Value {
    for transform in generator.transforms_mut() {
        transform.transform(&mut schema);
    }
    schema.to_value()
}

struct Collected {
    namespaces: Vec<Namespace>,
    out_roots: Vec<Value>,
    in_roots: Vec<Value>,
}

fn side(
    generators: &mut Generators,
    contract: ContractInfo,
    args_flow: Flow,
    roots: &mut Collected,
) -> Side {
    let ack_flow = match args_flow {
        Flow::Out => Flow::In,
        Flow::In => Flow::Out,
    };
    let events = contract
        .events
        .iter()
        .map(|descriptor| {
            let args = descriptor
                .args
                .iter()
                .map(|arg| Arg {
                    name: arg.name,
                    schema: generators.root(arg.schema, args_flow),
                    optional: arg.optional,
                })
                .collect();
            let ack = descriptor.ack.is_some().then(|| {
                generators.root(|g| descriptor.ack_schema(g).unwrap_or_default(), ack_flow)
            });
            Event {
                descriptor,
                args,
                ack,
            }
        })
        .collect::<Vec<_>>();
    for event in &events {
        let (arg_roots, ack_roots) = match args_flow {
            Flow::Out => (&mut roots.out_roots, &mut roots.in_roots),
            Flow::In => (&mut roots.in_roots, &mut roots.out_roots),
        };
        arg_roots.extend(event.args.iter().map(|arg| arg.schema.clone()));
        ack_roots.extend(event.ack.iter().cloned());
    }
    Side { contract, events }
}

fn namespaces(
    generators: &mut Generators,
    descriptors: &[NamespaceDescriptor],
) -> Result<Collected, Error> {
    let mut collected = Collected {
        namespaces: Vec::new(),
        out_roots: Vec::new(),
        in_roots: Vec::new(),
    };
    let mut prefixes = BTreeMap::new();
    let mut channels = BTreeMap::new();
    for descriptor in descriptors {
        let prefix = names::namespace_prefix(descriptor.name)?;
        let channel = names::channel_id(descriptor.name)?;
        if let Some(other) = prefixes.insert(prefix.clone(), descriptor.name) {
            return Err(if other == descriptor.name {
                Error::invalid_name(descriptor.name, "the namespace is declared twice")
            } else {
                Error::collision(
                    format!("{prefix}ServerToClientEvents"),
                    format!(
                        "is derived from both namespaces `{other}` and `{}`",
                        descriptor.name
                    ),
                )
            });
        }
        if let Some(other) = channels.insert(channel.clone(), descriptor.name) {
            return Err(Error::collision(
                channel,
                format!(
                    "is the AsyncAPI channel id of both namespaces `{other}` and `{}`",
                    descriptor.name
                ),
            ));
        }
        let auth = descriptor.auth.map(|auth: SchemaFn| {
            let schema = generators.root(auth, Flow::In);
            collected.in_roots.push(schema.clone());
            schema
        });
        let client_to_server = side(generators, descriptor.listen, Flow::In, &mut collected);
        let server_to_client = side(generators, descriptor.emits, Flow::Out, &mut collected);
        collected.namespaces.push(Namespace {
            path: descriptor.name,
            prefix,
            channel,
            auth,
            version: descriptor.contract_version(),
            client_to_server,
            server_to_client,
        });
    }
    Ok(collected)
}

/// Refuses names schemars made unique by appending a number: `Name2` next to
/// `Name` (and `Name3` next to `Name` and `Name2`, …) means two types are named
/// `Name`.
fn check_suffixes(definitions: &Map<String, Value>) -> Result<(), Error> {
    for name in definitions.keys() {
        for (split, _) in name.char_indices().skip(1) {
            let (base, digits) = name.split_at(split);
            let Ok(number) = digits.parse::<u32>() else {
                continue;
            };
            if number < 2 || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                continue;
            }
            let earlier_taken = definitions.contains_key(base)
                && (2..number).all(|n| definitions.contains_key(&format!("{base}{n}")));
            if earlier_taken {
                return Err(Error::collision(
                    base,
                    format!(
                        "names more than one type (schemars called another one `{name}`); \
                         a type really named `{name}` next to `{base}` is refused too, as the \
                         two cannot be told apart"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The definitions reachable from `roots`.
fn reachable(roots: &[Value], definitions: &Map<String, Value>) -> Result<BTreeSet<String>, Error> {
    let mut seen = BTreeSet::new();
    let mut pending: Vec<String> = roots.iter().flat_map(schema::references).collect();
    while let Some(name) = pending.pop() {
        if seen.contains(&name) {
            continue;
        }
        let Some(definition) = definitions.get(&name) else {
            return Err(Error::unsupported(
                format!("a reference to `{name}`"),
                "the $ref points to no definition",
            ));
        };
        pending.extend(schema::references(definition));
        seen.insert(name);
    }
    Ok(seen)
}

/// The names whose sent and accepted forms differ, directly or through a
/// definition they reference.
fn diverging(out: &Map<String, Value>, into: &Map<String, Value>) -> BTreeSet<String> {
    let mut diverging: BTreeSet<String> = out
        .iter()
        .filter(|(name, schema)| into.get(*name) != Some(schema))
        .map(|(name, _)| name.clone())
        .chain(into.keys().filter(|name| !out.contains_key(*name)).cloned())
        .collect();
    loop {
        let newly: Vec<String> = out
            .iter()
            .chain(into.iter())
            .filter(|(name, _)| !diverging.contains(*name))
            .filter(|(_, schema)| {
                schema::references(schema)
                    .iter()
                    .any(|referenced| diverging.contains(referenced))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if newly.is_empty() {
            return diverging;
        }
        diverging.extend(newly);
    }
}

/// Builds the model of `descriptors`.
pub(crate) fn collect(descriptors: &[NamespaceDescriptor]) -> Result<Model, Error> {
    let mut generators = Generators::new();
    let mut collected = namespaces(&mut generators, descriptors)?;
    let out_defs = generators.out.take_definitions(true);
    let in_defs = generators.into.take_definitions(true);
    check_suffixes(&out_defs)?;
    check_suffixes(&in_defs)?;
    for name in out_defs.keys().chain(in_defs.keys()) {
        names::check_type_name(name)?;
    }

    let out_needed = reachable(&collected.out_roots, &out_defs)?;
    let in_needed = reachable(&collected.in_roots, &in_defs)?;
    let diverging = diverging(&out_defs, &in_defs);
    let split: BTreeSet<&String> = in_needed
        .iter()
        .filter(|name| out_needed.contains(*name) && diverging.contains(*name))
        .collect();
    let every_name: BTreeSet<&String> = out_defs.keys().chain(in_defs.keys()).collect();
    for name in &split {
        let input = format!("{name}{INPUT_SUFFIX}");
        if every_name.contains(&input) {
            return Err(Error::collision(
                input,
                format!(
                    "is both a type and the name of the accepted form of `{name}`, which \
                     differs from its sent form"
                ),
            ));
        }
    }
    let in_name = |name: &str| -> String {
        if split.iter().any(|split| split.as_str() == name) {
            format!("{name}{INPUT_SUFFIX}")
        } else {
            name.to_owned()
        }
    };
    let rename_in = |schema: &mut Value| {
        schema::rewrite_refs(schema, &|name| format!("{DEFINITIONS}{}", in_name(name)));
    };

    let mut defs = BTreeMap::new();
    for name in &out_needed {
        defs.insert(
            name.clone(),
            Def {
                name: name.clone(),
                schema: out_defs[name].clone(),
                flow: Flow::Out,
                bytes: name == BYTES,
            },
        );
    }
    for name in &in_needed {
        let final_name = in_name(name);
        if defs.contains_key(&final_name) {
            continue;
        }
        let mut schema = in_defs[name].clone();
        rename_in(&mut schema);
        defs.insert(
            final_name.clone(),
            Def {
                name: final_name,
                schema,
                flow: Flow::In,
                bytes: name == BYTES,
            },
        );
    }
    for name in split.iter().map(|name| format!("{name}{INPUT_SUFFIX}")) {
        names::check_type_name(&name)?;
    }

    for namespace in &mut collected.namespaces {
        if let Some(auth) = &mut namespace.auth {
            rename_in(auth);
        }
        for event in &mut namespace.client_to_server.events {
            event
                .args
                .iter_mut()
                .for_each(|arg| rename_in(&mut arg.schema));
        }
        for event in &mut namespace.server_to_client.events {
            event.ack.iter_mut().for_each(rename_in);
        }
    }
    Ok(Model {
        defs: defs.into_values().collect(),
        namespaces: collected.namespaces,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn definitions(names: &[&str]) -> Map<String, Value> {
        names
            .iter()
            .map(|name| (name.to_string(), json!({})))
            .collect()
    }

    #[test]
    fn numeric_suffixes_next_to_their_base_collide() {
        assert!(check_suffixes(&definitions(&["Page", "Page2"])).is_err());
        assert!(check_suffixes(&definitions(&["Page", "Page2", "Page3"])).is_err());
        assert!(check_suffixes(&definitions(&["Vec3", "Vec32"])).is_err());
    }

    #[test]
    fn numbers_alone_do_not_collide() {
        assert!(check_suffixes(&definitions(&["Page2"])).is_ok());
        assert!(check_suffixes(&definitions(&["Page", "Page3"])).is_ok());
        assert!(check_suffixes(&definitions(&["Vec3", "Sha256", "Page02", "Page"])).is_ok());
    }

    #[test]
    fn divergence_spreads_to_referencing_definitions() {
        let out: Map<String, Value> = serde_json::from_value(json!({
            "Leaf": { "type": "object", "required": ["a"] },
            "Branch": { "items": { "$ref": "#/definitions/Leaf" } },
            "Other": { "type": "string" }
        }))
        .unwrap();
        let mut into = out.clone();
        into["Leaf"] = json!({ "type": "object" });
        let names: Vec<_> = diverging(&out, &into).into_iter().collect();
        assert_eq!(names, ["Branch", "Leaf"]);
    }
}
