//! The auth payload of a namespace: none, a fixed value, or a callback evaluated
//! on every connection and reconnection (so a token can be refreshed).

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;

use super::error::ConnectError;
use crate::peer::BoxFuture;

type Evaluate =
    dyn Fn() -> BoxFuture<Result<Option<serde_json::Value>, String>> + Send + Sync + 'static;

/// Where a namespace's auth payload comes from.
#[derive(Clone, Default)]
pub(crate) enum AuthSource {
    /// No payload.
    #[default]
    None,
    /// The same payload every time (or why it does not serialize as an object).
    Fixed(Result<serde_json::Value, String>),
    /// A callback, awaited before each CONNECT.
    Dynamic(Arc<Evaluate>),
}

impl std::fmt::Debug for AuthSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            AuthSource::None => "None",
            AuthSource::Fixed(_) => "Fixed",
            AuthSource::Dynamic(_) => "Dynamic",
        })
    }
}

impl AuthSource {
    /// A fixed payload, which must serialize as a JSON object.
    pub(crate) fn fixed<T: Serialize + ?Sized>(auth: &T) -> AuthSource {
        AuthSource::Fixed(as_object(auth))
    }

    /// A payload made by `make` before every CONNECT.
    pub(crate) fn dynamic<F, Fut, T>(make: F) -> AuthSource
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        AuthSource::Dynamic(Arc::new(move || {
            let future = make();
            Box::pin(async move { as_object(&future.await).map(Some) })
                as BoxFuture<Result<Option<serde_json::Value>, String>>
        }))
    }

    /// Checks a fixed payload up front, so that a bad one fails `connect` at once.
    pub(crate) fn check(&self) -> Result<(), ConnectError> {
        match self {
            AuthSource::Fixed(Err(error)) => Err(ConnectError::InvalidAuth(error.clone())),
            _ => Ok(()),
        }
    }

    /// The same source with `version` added to every payload under `contract`
    /// (for a server that negotiates contract versions).
    pub(crate) fn with_contract_version(self, version: Option<String>) -> AuthSource {
        let Some(version) = version else {
            return self;
        };
        match self {
            AuthSource::None => AuthSource::Fixed(Ok(versioned(None, &version))),
            AuthSource::Fixed(Ok(auth)) => AuthSource::Fixed(Ok(versioned(Some(auth), &version))),
            AuthSource::Fixed(Err(error)) => AuthSource::Fixed(Err(error)),
            AuthSource::Dynamic(make) => AuthSource::Dynamic(Arc::new(move || {
                let future = make();
                let version = version.clone();
                Box::pin(async move { future.await.map(|auth| Some(versioned(auth, &version))) })
                    as BoxFuture<Result<Option<serde_json::Value>, String>>
            })),
        }
    }

    /// The payload for the next CONNECT.
    pub(crate) async fn evaluate(&self) -> Result<Option<serde_json::Value>, ConnectError> {
        match self {
            AuthSource::None => Ok(None),
            AuthSource::Fixed(auth) => auth.clone().map(Some).map_err(ConnectError::InvalidAuth),
            AuthSource::Dynamic(make) => make().await.map_err(ConnectError::InvalidAuth),
        }
    }
}

/// `auth` as a JSON object, or why it is not one.
fn as_object<T: Serialize + ?Sized>(auth: &T) -> Result<serde_json::Value, String> {
    match serde_json::to_value(auth) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        Ok(other) => Err(format!("found {other}")),
        Err(error) => Err(error.to_string()),
    }
}

/// `auth` (an object, or nothing) with the contract version under `contract`.
fn versioned(auth: Option<serde_json::Value>, version: &str) -> serde_json::Value {
    let mut object = match auth {
        Some(serde_json::Value::Object(object)) => object,
        _ => serde_json::Map::new(),
    };
    object.insert(
        crate::contract::CONTRACT_AUTH_KEY.to_owned(),
        version.into(),
    );
    serde_json::Value::Object(object)
}
