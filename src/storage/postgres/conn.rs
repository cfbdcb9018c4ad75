//! A connection whose every statement is bounded (spec/postgres.md §2, *Bounds*): the
//! blocking calls the engine makes, over tokio-postgres on a single-threaded runtime of the
//! connection's own, each under `tokio::time::timeout`.
//!
//! A server that stops answering (its process stopped, the machine frozen, packets dropped on
//! the way) answers nothing, and the operating system's TCP stack still acknowledges what is
//! sent to a stopped process: no socket option ends the wait, and a statement the server
//! itself would cancel (`statement_timeout`) is not cancelled by a server that does not run.
//! So the client bounds each call: past its bound the call fails with [`Fail::Timeout`], and
//! the connection is closed (its task dropped, and with it the socket), so that its owner
//! connects again on its next call, as after a connection cut.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Config, NoTls, Row, Statement, ToStatement};

/// Why a call on a [`Conn`] failed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The server's error, or the connection's.
    Pg(tokio_postgres::Error),
    /// The server did not answer within the bound: the connection is closed.
    Timeout(Duration),
    /// The connection's runtime could not be made (the system refused a thread or a timer).
    Io(std::io::Error),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Fail {
        Fail::Pg(e)
    }
}

/// A connection to the server: the client, the runtime that drives it, the task that runs the
/// connection's socket, and the bound of each call.
pub(crate) struct Conn {
    runtime: Runtime,
    client: tokio_postgres::Client,
    task: JoinHandle<()>,
    bound: Duration,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("bound", &self.bound)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// Runs `future` on `runtime` (which also runs the connection's task), for at most `bound`;
/// past it the connection's task is ended, which closes the socket.
fn block<T>(
    runtime: &Runtime,
    task: &mut JoinHandle<()>,
    bound: Duration,
    future: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, Fail> {
    // The timer is made inside the runtime, whose time driver it needs.
    if let Ok(done) = runtime.block_on(async { tokio::time::timeout(bound, future).await }) {
        return done.map_err(Fail::Pg);
    }
    task.abort();
    // The aborted task is dropped by the runtime, and with it the socket: run it until it is.
    let _ = runtime.block_on(task);
    Err(Fail::Timeout(bound))
}

impl Conn {
    /// Connects with `config` and runs `setup` (simple statements), all within `bound`.
    pub(crate) fn connect(config: &Config, bound: Duration, setup: &str) -> Result<Conn, Fail> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Fail::Io)?;
        let connected = runtime.block_on(async {
            tokio::time::timeout(bound, async {
                let (client, connection) = config.connect(NoTls).await?;
                let task = tokio::spawn(async move {
                    let _ = connection.await;
                });
                if let Err(e) = client.batch_execute(setup).await {
                    task.abort();
                    return Err(e);
                }
                Ok((client, task))
            })
            .await
        });
        match connected {
            Ok(Ok((client, task))) => Ok(Conn {
                runtime,
                client,
                task,
                bound,
            }),
            Ok(Err(e)) => Err(Fail::Pg(e)),
            Err(_) => Err(Fail::Timeout(bound)),
        }
    }

    /// Whether the connection is closed (the server ended it, the socket failed, or a call ran
    /// past its bound): the owner connects again.
    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed() || self.task.is_finished()
    }

    /// The bound of each call.
    pub(crate) fn bound(&self) -> Duration {
        self.bound
    }

    /// Sets the bound of each later call.
    pub(crate) fn set_bound(&mut self, bound: Duration) {
        self.bound = bound;
    }

    pub(crate) fn batch_execute(&mut self, sql: &str) -> Result<(), Fail> {
        let client = &self.client;
        block(
            &self.runtime,
            &mut self.task,
            self.bound,
            client.batch_execute(sql),
        )
    }

    pub(crate) fn prepare(&mut self, sql: &str) -> Result<Statement, Fail> {
        let client = &self.client;
        block(
            &self.runtime,
            &mut self.task,
            self.bound,
            client.prepare(sql),
        )
    }

    /// A transaction (`BEGIN`), rolled back when dropped uncommitted.
    pub(crate) fn transaction(&mut self) -> Result<Tx<'_>, Fail> {
        self.start("BEGIN")
    }

    /// A read-only repeatable-read transaction: one snapshot.
    pub(crate) fn snapshot(&mut self) -> Result<Tx<'_>, Fail> {
        self.start("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    }

    fn start(&mut self, begin: &str) -> Result<Tx<'_>, Fail> {
        self.batch_execute(begin)?;
        Ok(Tx {
            conn: self,
            done: false,
        })
    }
}

/// The statements the engine runs, on a connection or in a transaction of it.
pub(crate) trait Queries {
    fn query<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Fail>;

    fn query_opt<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Fail>;

    fn query_one<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, Fail>;

    fn execute<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Fail>;

    fn batch_execute(&mut self, sql: &str) -> Result<(), Fail>;
}

impl Queries for Conn {
    fn query<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Fail> {
        let client = &self.client;
        block(
            &self.runtime,
            &mut self.task,
            self.bound,
            client.query(statement, params),
        )
    }

    fn query_opt<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Fail> {
        let client = &self.client;
        block(
            &self.runtime,
            &mut self.task,
            self.bound,
            client.query_opt(statement, params),
        )
    }

    fn query_one<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, Fail> {
        let client = &self.client;
        block(
            &self.runtime,
            &mut self.task,
            self.bound,
            client.query_one(statement, params),
        )
    }

    fn execute<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Fail> {
        let client = &self.client;
        block(
            &self.runtime,
            &mut self.task,
            self.bound,
            client.execute(statement, params),
        )
    }

    fn batch_execute(&mut self, sql: &str) -> Result<(), Fail> {
        Conn::batch_execute(self, sql)
    }
}

/// A transaction on a [`Conn`]: each statement under the connection's bound; `ROLLBACK` when
/// dropped without [`Tx::commit`] (sent without waiting: a connection that fails it is closed,
/// which ends the transaction too).
pub(crate) struct Tx<'a> {
    conn: &'a mut Conn,
    done: bool,
}

impl Tx<'_> {
    pub(crate) fn commit(mut self) -> Result<(), Fail> {
        self.done = true;
        self.conn.batch_execute("COMMIT")
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done && !self.conn.is_closed() {
            // Queued on the connection; sent with the next call at the latest. A rollback that
            // cannot complete within the bound closes the connection.
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}

impl Queries for Tx<'_> {
    fn query<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Fail> {
        self.conn.query(statement, params)
    }

    fn query_opt<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Fail> {
        self.conn.query_opt(statement, params)
    }

    fn query_one<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, Fail> {
        self.conn.query_one(statement, params)
    }

    fn execute<T: ?Sized + ToStatement + Sync>(
        &mut self,
        statement: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Fail> {
        self.conn.execute(statement, params)
    }

    fn batch_execute(&mut self, sql: &str) -> Result<(), Fail> {
        self.conn.batch_execute(sql)
    }
}
