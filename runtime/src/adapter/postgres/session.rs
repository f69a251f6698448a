//! The adapter's connection to Postgres, in a task of its own: it listens to the
//! channel of every namespace, sends the queued messages (`pg_notify`, or a row
//! of the attachments table then its header), reads the stored messages that
//! notifications point to, and deletes old ones now and then. After a loss it
//! reconnects with capped exponential backoff and listens again.
//!
//! `tokio-postgres` hands notifications to whoever polls the connection: a task
//! per connection polls it and puts them in the adapter's bounded queue, counting
//! what does not fit.

use std::collections::HashSet;
use std::str::FromStr as _;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::{Notify, mpsc, watch};
use tokio_postgres::{AsyncMessage, Client, NoTls, Statement};

use super::incoming::{self, AttachmentHeader};
use super::{Outgoing, PostgresConfig, PostgresError, Shared};
use crate::adapter::cluster_message;
use crate::adapter::registry::{task_start, unless_stopped};
use crate::backoff::Backoff;

/// A notification, as the connection's poller queues it.
struct Notification {
    channel: String,
    payload: String,
}

/// How long the last messages may take to go out once the adapter is gone.
const FLUSH_AT_STOP: Duration = Duration::from_secs(1);

/// The connection string as `tokio-postgres` reads it, with the adapter's connect
/// timeout; checks the table name too.
pub(crate) fn database_config(
    config: &PostgresConfig,
) -> Result<tokio_postgres::Config, PostgresError> {
    let valid_table = !config.table_name.is_empty()
        && config
            .table_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid_table {
        return Err(PostgresError::InvalidTableName(config.table_name.clone()));
    }
    let mut database = tokio_postgres::Config::from_str(&config.url)
        .map_err(|error| PostgresError::InvalidUrl(error.to_string()))?;
    database.connect_timeout(config.connect_timeout);
    Ok(database)
}

/// Connects once and closes, to check the connection string and credentials.
pub(crate) async fn check(
    database: &tokio_postgres::Config,
    timeout: Duration,
) -> Result<(), PostgresError> {
    let (client, connection) = tokio::time::timeout(timeout, database.connect(NoTls))
        .await
        .map_err(|_| PostgresError::Timeout)??;
    let driver = tokio::spawn(connection);
    let checked = tokio::time::timeout(timeout, client.simple_query("SELECT 1")).await;
    drop(client);
    let _ = driver.await;
    checked.map_err(|_| PostgresError::Timeout)??;
    Ok(())
}

/// `LISTEN "<channel>"` (or `UNLISTEN`), the channel quoted as an identifier.
fn listen_statement(command: &str, channel: &str) -> String {
    format!("{command} \"{}\"", channel.replace('"', "\"\""))
}

/// The statements the session prepares on each connection.
struct Statements {
    notify: Statement,
    insert: Statement,
    select: Statement,
    cleanup: String,
}

impl Statements {
    async fn prepare(client: &Client, config: &PostgresConfig) -> Result<Self, PostgresError> {
        let table = &config.table_name;
        let created = client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {table} \
                 (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)"
            ))
            .await;
        if let Err(error) = created {
            // Another node may be creating it at the same moment.
            tracing::debug!(%error, table, "the attachments table was not created");
        }
        Ok(Statements {
            notify: client.prepare("SELECT pg_notify($1, $2)").await?,
            insert: client
                .prepare(&format!(
                    "INSERT INTO {table} (payload) VALUES ($1) RETURNING id"
                ))
                .await?,
            select: client
                .prepare(&format!(
                    "SELECT payload FROM {table} WHERE id = $1 AND octet_length(payload) <= $2::int4"
                ))
                .await?,
            cleanup: format!(
                "DELETE FROM {table} WHERE created_at < now() - interval '{} milliseconds'",
                config.cleanup_interval.as_millis()
            ),
        })
    }
}

/// Keeps the adapter connected until it is gone.
pub(crate) async fn run(
    shared: Weak<Shared>,
    database: tokio_postgres::Config,
    mut queue: mpsc::Receiver<Outgoing>,
    mut stop: watch::Receiver<()>,
) {
    let Some((config, attached)) = task_start(&shared) else {
        return;
    };
    let (incoming_sender, mut incoming) = mpsc::channel(config.queue.max(1));
    let mut backoff = Backoff::new(config.reconnect_min, config.reconnect_max).attempts();
    loop {
        let Some(connected) = unless_stopped(&mut stop, database.connect(NoTls)).await else {
            return;
        };
        match connected {
            Ok((client, mut connection)) => {
                backoff.reset();
                let lost = Arc::new(Notify::new());
                let poller_lost = lost.clone();
                let sender = incoming_sender.clone();
                let counting = shared.clone();
                tokio::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(Ok(message)) = messages.next().await {
                        if let AsyncMessage::Notification(notification) = message {
                            let notification = Notification {
                                channel: notification.channel().to_owned(),
                                payload: notification.payload().to_owned(),
                            };
                            if sender.try_send(notification).is_err()
                                && let Some(shared) = counting.upgrade()
                            {
                                shared.count_dropped(
                                    "Postgres receive queue full: a message from another node is lost",
                                );
                            }
                        }
                    }
                    poller_lost.notify_one();
                });
                let session = Session {
                    shared: &shared,
                    config: &config,
                    client,
                    lost,
                    attached: &attached,
                };
                let ended = session.serve(&mut queue, &mut incoming, &mut stop).await;
                if let Some(shared) = shared.upgrade() {
                    shared.listening.send_replace(false);
                }
                match ended {
                    Ok(()) => return,
                    Err(error) => tracing::warn!(%error, "Postgres connection lost"),
                }
            }
            Err(error) => tracing::warn!(%error, "Postgres cannot connect"),
        }
        if !backoff.wait(&mut stop).await {
            return;
        }
    }
}

/// One connection's work.
struct Session<'a> {
    shared: &'a Weak<Shared>,
    config: &'a PostgresConfig,
    client: Client,
    /// Notified by the poller when the connection ends.
    lost: Arc<Notify>,
    attached: &'a Notify,
}

impl Session<'_> {
    /// Serves the connection: `Ok` when the adapter is gone, `Err` when the
    /// connection broke.
    async fn serve(
        self,
        queue: &mut mpsc::Receiver<Outgoing>,
        incoming: &mut mpsc::Receiver<Notification>,
        stop: &mut watch::Receiver<()>,
    ) -> Result<(), PostgresError> {
        let statements = Statements::prepare(&self.client, self.config).await?;
        let mut channels = HashSet::new();
        self.follow_namespaces(&mut channels).await?;
        // Notifications queued for an earlier connection may be stale; they are
        // still handled (at most once), as they arrived before the loss.
        let period = self.config.cleanup_interval;
        let mut cleanup = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                _ = stop.changed() => {
                    let flush = async {
                        while let Ok(message) = queue.try_recv() {
                            if self.send(&statements, message).await.is_err() {
                                return;
                            }
                        }
                    };
                    let _ = tokio::time::timeout(FLUSH_AT_STOP, flush).await;
                    return Ok(());
                }
                () = self.lost.notified() => return Err(PostgresError::Closed),
                () = self.attached.notified() => self.follow_namespaces(&mut channels).await?,
                message = queue.recv() => {
                    let Some(message) = message else {
                        return Ok(());
                    };
                    let sent = self.send(&statements, message).await;
                    if let Some(error) = self.unless_closed(sent)? {
                        tracing::warn!(%error, "Postgres refused a message");
                    }
                }
                notification = incoming.recv() => {
                    let Some(notification) = notification else {
                        return Ok(());
                    };
                    let received = self.receive(&statements, notification).await;
                    if let Some(error) = self.unless_closed(received)? {
                        tracing::debug!(%error, "a stored message could not be read");
                    }
                }
                _ = cleanup.tick() => {
                    let cleaned = self.client.batch_execute(&statements.cleanup).await;
                    if let Some(error) = self.unless_closed(cleaned)? {
                        tracing::warn!(%error, "old attachments not deleted");
                    }
                }
            }
        }
    }

    /// The error of one failed operation, to log, or the session's end (`Err`)
    /// when it failed because the connection is closed.
    fn unless_closed<E: Into<PostgresError>>(
        &self,
        result: Result<(), E>,
    ) -> Result<Option<E>, PostgresError> {
        match result {
            Ok(()) => Ok(None),
            Err(error) if self.client.is_closed() => Err(error.into()),
            Err(error) => Ok(Some(error)),
        }
    }

    /// Listens to the channels of the namespaces this node has now, stops
    /// listening to those of namespaces that are gone, announces the newly
    /// listened ones (initial heartbeat), and says the adapter listens.
    async fn follow_namespaces(&self, channels: &mut HashSet<String>) -> Result<(), PostgresError> {
        let Some(shared) = self.shared.upgrade() else {
            return Ok(());
        };
        let wanted: HashSet<String> = shared.namespaces.names().into_iter().collect();
        let added: Vec<String> = wanted.difference(channels).cloned().collect();
        for nsp in &added {
            let statement = listen_statement("LISTEN", &shared.channel(nsp));
            self.client.batch_execute(&statement).await?;
        }
        let removed: Vec<String> = channels.difference(&wanted).cloned().collect();
        for nsp in &removed {
            let statement = listen_statement("UNLISTEN", &shared.channel(nsp));
            self.client.batch_execute(&statement).await?;
        }
        *channels = wanted;
        for nsp in &added {
            shared.send(nsp, cluster_message::INITIAL_HEARTBEAT, None);
        }
        shared.listening.send_replace(true);
        Ok(())
    }

    /// Sends one message.
    async fn send(&self, statements: &Statements, message: Outgoing) -> Result<(), PostgresError> {
        match message {
            Outgoing::Notify { channel, json } => {
                self.client
                    .execute(&statements.notify, &[&channel, &json])
                    .await?;
            }
            Outgoing::Attachment {
                channel,
                kind,
                payload,
            } => {
                let row = self
                    .client
                    .query_one(&statements.insert, &[&payload])
                    .await?;
                let id: i64 = row.try_get(0)?;
                let uid = self.shared.upgrade().map(|shared| shared.uid.clone());
                let header = serde_json::json!({
                    "uid": uid,
                    "type": kind,
                    "attachmentId": id.to_string(),
                })
                .to_string();
                self.client
                    .execute(&statements.notify, &[&channel, &header])
                    .await?;
            }
        }
        Ok(())
    }

    /// Handles one notification: reads the stored message it points to, if it
    /// does, and hands the message on.
    async fn receive(
        &self,
        statements: &Statements,
        notification: Notification,
    ) -> Result<(), PostgresError> {
        let Some(shared) = self.shared.upgrade() else {
            return Ok(());
        };
        let prefix = format!("{}#", self.config.channel_prefix);
        let Some(nsp) = notification.channel.strip_prefix(&prefix) else {
            return Ok(());
        };
        let message = match incoming::attachment_header(&notification.payload) {
            Some(AttachmentHeader { uid, .. }) if uid.as_deref() == Some(shared.uid.as_str()) => {
                return Ok(());
            }
            Some(AttachmentHeader { id, .. }) => {
                let limit = i32::try_from(self.config.max_message_size).unwrap_or(i32::MAX);
                let Some(row) = self
                    .client
                    .query_opt(&statements.select, &[&id, &limit])
                    .await?
                else {
                    tracing::debug!(id, "a stored message is missing or too large");
                    return Ok(());
                };
                let payload: Vec<u8> = row.try_get(0)?;
                cluster_message::decode(&payload, nsp)
            }
            None => cluster_message::decode(notification.payload.as_bytes(), nsp),
        };
        match message {
            Some(message) => incoming::on_message(&shared, message),
            None => tracing::debug!(nsp, "ignored a Postgres message tether does not handle"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_quoted_and_tables_checked() {
        assert_eq!(
            listen_statement("LISTEN", "socket.io#/"),
            r#"LISTEN "socket.io#/""#
        );
        assert_eq!(listen_statement("LISTEN", r#"a"b"#), r#"LISTEN "a""b""#);
        let config = PostgresConfig::new("postgres://u:p%40ss@localhost:5433/db");
        let database = database_config(&config).unwrap();
        assert_eq!(database.get_password(), Some(&b"p@ss"[..]));
        assert_eq!(database.get_ports(), [5433]);
        assert!(matches!(
            database_config(&config.clone().with_table_name("x; DROP TABLE y")),
            Err(PostgresError::InvalidTableName(_))
        ));
        assert!(matches!(
            database_config(&PostgresConfig::new("postgres://host:notaport/db")),
            Err(PostgresError::InvalidUrl(_))
        ));
    }
}
