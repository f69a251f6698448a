//! The one error type of the crate.

use std::path::PathBuf;

/// Why a document could not be generated, written or checked.
///
/// Every variant names the problem and, where there is one, the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two different types have the same schema name, so schemars suffixed one of
    /// them (`Page` and `Page2`, for `Page<A>` and `Page<B>`), or a derived name
    /// (an `…Input` form, a namespace's interface names) is already taken.
    #[error(
        "type name collision: `{name}` {detail}; give the types distinct names, e.g. with \
         #[schemars(rename = \"…\")] (for generic types: #[schemars(rename = \"Page_{{T}}\")])"
    )]
    TypeNameCollision {
        /// The name that is taken twice.
        name: String,
        /// What else claims it.
        detail: String,
    },

    /// A schema uses a construct the generators do not translate faithfully.
    #[error("unsupported schema at {location}: {reason}")]
    UnsupportedSchema {
        /// Where: the definition or event, and a JSON pointer inside its schema.
        location: String,
        /// What is unsupported.
        reason: String,
    },

    /// A type, namespace or event name cannot be written in the target language.
    #[error("invalid name `{name}`: {reason}")]
    InvalidName {
        /// The name as the contract spells it.
        name: String,
        /// Why it is refused.
        reason: String,
    },

    /// Checked-in generated files differ from what the contracts generate now.
    #[error("generated files are stale: {}\n{diff}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Stale {
        /// The files that differ (or are missing).
        paths: Vec<PathBuf>,
        /// A unified diff from the file on disk to the expected contents.
        diff: String,
    },

    /// A contract snapshot is not a JSON Schema document tether-codegen wrote.
    #[error("invalid contract snapshot {source_name}: {reason}")]
    InvalidSnapshot {
        /// Where it came from (a path, or `<memory>`).
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn unsupported(location: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::UnsupportedSchema {
            location: location.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn collision(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::TypeNameCollision {
            name: name.into(),
            detail: detail.into(),
        }
    }

    pub(crate) fn invalid_name(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidName {
            name: name.into(),
            reason: reason.into(),
        }
    }
}
