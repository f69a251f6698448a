//! The Admin UI on an example, from the environment: `ADMIN_UI=1` instruments the
//! server (see `tether::admin`), with basic authentication when `ADMIN_UI_USER`
//! and `ADMIN_UI_PASSWORD` are set (the password in clear, or a bcrypt hash),
//! none otherwise; `ADMIN_UI_DIR`, the `ui/dist` directory of the npm package
//! `@socket.io/admin-ui`, also serves the UI at `/admin-ui/`. `ADMIN_UI_READONLY=1`
//! refuses the UI's actions, `ADMIN_UI_MODE=production` sends only the stats,
//! `ADMIN_UI_SERVER_ID` names the node and `ADMIN_UI_NAMESPACE` the admin
//! namespace (`/admin` by default).

use tether::admin::{AdminError, AdminOptions, AdminUi, Mode, instrument};
use tether::server::Server;

/// The bcrypt cost of a password given in clear (hashed once at start-up).
const BCRYPT_COST: u32 = 10;

/// Instruments `io` when `ADMIN_UI=1`, and returns the UI to serve when
/// `ADMIN_UI_DIR` is set too.
///
/// # Errors
///
/// When the password cannot be hashed or the server cannot be instrumented.
pub fn admin_ui_from_env(io: &Server) -> std::io::Result<Option<AdminUi>> {
    if crate::env_nonempty("ADMIN_UI").as_deref() != Some("1") {
        return Ok(None);
    }
    let invalid = |error: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, error);
    let options = match (
        crate::env_nonempty("ADMIN_UI_USER"),
        crate::env_nonempty("ADMIN_UI_PASSWORD"),
    ) {
        (Some(user), Some(password)) => {
            let hash = if password.parse::<bcrypt::HashParts>().is_ok() {
                password
            } else {
                bcrypt::hash(password, BCRYPT_COST).map_err(|error| invalid(error.to_string()))?
            };
            AdminOptions::with_basic_auth(user, hash)
        }
        _ => {
            tracing::warn!(
                "admin UI without authentication: set ADMIN_UI_USER and ADMIN_UI_PASSWORD"
            );
            AdminOptions::without_auth()
        }
    };
    let mut options = options
        .read_only(crate::env_nonempty("ADMIN_UI_READONLY").as_deref() == Some("1"))
        .with_mode(match crate::env_nonempty("ADMIN_UI_MODE").as_deref() {
            Some("production") => Mode::Production,
            _ => Mode::Development,
        });
    if let Some(id) = crate::env_nonempty("ADMIN_UI_SERVER_ID") {
        options = options.with_server_id(id);
    }
    let namespace =
        crate::env_nonempty("ADMIN_UI_NAMESPACE").unwrap_or_else(|| "/admin".to_owned());
    options = options.with_namespace(namespace.clone());
    instrument(io, options).map_err(|error: AdminError| invalid(error.to_string()))?;
    tracing::info!(%namespace, "admin UI namespace ready");
    Ok(crate::env_nonempty("ADMIN_UI_DIR").map(AdminUi::new))
}
