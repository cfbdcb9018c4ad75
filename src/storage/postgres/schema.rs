//! The PostgreSQL engine's schema and its migrations (spec/postgres.md §3).

use super::conn::{Conn, Fail, Queries};

use super::{pg_error, Place, MIGRATION_TIMEOUT};
use crate::storage::{StorageError, StorageErrorKind};

/// The schema version this crate writes and reads.
pub const SCHEMA_VERSION: i64 = 4;

/// The key of the advisory lock every migration runs under (`pg_advisory_xact_lock`): the
/// bytes of `pyrosess` as a big-endian integer, so that it is recognisable in `pg_locks`.
pub const MIGRATION_LOCK: i64 = 0x7079_726f_7365_7373;

/// Version 1: the tables, indexes and sequence, in one transaction (spec/postgres.md §3.1).
pub const SCHEMA_V1: &str = "\
CREATE TABLE pyrosession_version
(
    number integer NOT NULL
);
CREATE TABLE pyrosession_sessions
(
    name          text PRIMARY KEY,
    dc_id         bigint NOT NULL,
    api_id        bigint,
    test_mode     boolean,
    auth_key      bytea,
    date          bigint NOT NULL,
    user_id       bigint,
    is_bot        boolean,
    lease_token   bigint NOT NULL DEFAULT 0,
    lease_holder  text,
    lease_expires timestamptz
);
CREATE TABLE pyrosession_peers
(
    session        text   NOT NULL REFERENCES pyrosession_sessions (name) ON DELETE CASCADE,
    id             bigint NOT NULL,
    access_hash    bigint,
    type           text   NOT NULL,
    username       text,
    phone_number   text,
    last_update_on bigint NOT NULL,
    PRIMARY KEY (session, id)
);
CREATE INDEX pyrosession_peers_username ON pyrosession_peers (session, username, last_update_on DESC, id);
CREATE INDEX pyrosession_peers_phone_number ON pyrosession_peers (session, phone_number, id);
CREATE SEQUENCE pyrosession_lease_tokens;
INSERT INTO pyrosession_version (number) VALUES (1);
";

/// Version 1 to 2: each lease's nonce (spec/postgres.md §3.1, §5.1), `0` in every row that
/// exists; a lease of version 1 keeps its token and stays held.
pub const MIGRATE_V1_TO_V2: &str = "\
ALTER TABLE pyrosession_sessions ADD COLUMN lease_nonce bigint NOT NULL DEFAULT 0;
UPDATE pyrosession_version SET number = 2;
";

/// Version 2 to 3 (spec/postgres.md §3.1): the peers table loses its foreign key to the
/// sessions table, found by the catalog (`contype` `f` from `pyrosession_peers` to
/// `pyrosession_sessions`) whatever its name, and the phone index becomes partial, over the
/// rows that have a phone number. The rows are kept. Every path of the crate that deletes a
/// session then deletes its peers itself, after the session's row, in the same transaction
/// (§4.4); a trigger does the same for any other deletion of a session's row (an older
/// crate's `delete`, which relied on the cascade, or an administrator's).
pub const MIGRATE_V2_TO_V3: &str = "\
DO $$
DECLARE
    fk name;
BEGIN
    FOR fk IN
        SELECT conname FROM pg_catalog.pg_constraint
        WHERE conrelid = 'pyrosession_peers'::regclass
          AND confrelid = 'pyrosession_sessions'::regclass
          AND contype = 'f'
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE pyrosession_peers DROP CONSTRAINT %I', fk);
    END LOOP;
END $$;
DROP INDEX IF EXISTS pyrosession_peers_phone_number;
CREATE INDEX pyrosession_peers_phone_number ON pyrosession_peers (session, phone_number, id) WHERE phone_number IS NOT NULL;
CREATE OR REPLACE FUNCTION pyrosession_delete_peers() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
BEGIN
    DELETE FROM pyrosession_peers WHERE session = OLD.name;
    RETURN NULL;
END $f$;
DROP TRIGGER IF EXISTS pyrosession_sessions_delete_peers ON pyrosession_sessions;
CREATE TRIGGER pyrosession_sessions_delete_peers AFTER DELETE ON pyrosession_sessions
    FOR EACH ROW EXECUTE FUNCTION pyrosession_delete_peers();
CREATE OR REPLACE FUNCTION pyrosession_truncate_peers() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
BEGIN
    DELETE FROM pyrosession_peers;
    RETURN NULL;
END $f$;
DROP TRIGGER IF EXISTS pyrosession_sessions_truncate_peers ON pyrosession_sessions;
CREATE TRIGGER pyrosession_sessions_truncate_peers AFTER TRUNCATE ON pyrosession_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION pyrosession_truncate_peers();
UPDATE pyrosession_version SET number = 3;
";

/// Version 3 to 4 (spec/postgres.md §3.1): a peer replaced with the same username and phone
/// number is updated in place (a heap-only tuple, no index entry written). The username index
/// loses `last_update_on` and `id`, which every replacement changed or needed, so that no
/// index of the table holds a column an upsert changes unless the username or phone number
/// itself changes; and the table's pages are filled to half (`fillfactor`), so that a batch
/// replacing every peer of a page finds room for their new versions on that page. Pages
/// already written keep their rows; new ones are filled to half.
pub const MIGRATE_V3_TO_V4: &str = "\
DROP INDEX IF EXISTS pyrosession_peers_username;
CREATE INDEX pyrosession_peers_username ON pyrosession_peers (session, username);
ALTER TABLE pyrosession_peers SET (fillfactor = 50);
UPDATE pyrosession_version SET number = 4;
";

/// The migration steps: `MIGRATIONS[i]` brings version `i + 1` to `i + 2`.
const MIGRATIONS: [&str; (SCHEMA_VERSION - 1) as usize] =
    [MIGRATE_V1_TO_V2, MIGRATE_V2_TO_V3, MIGRATE_V3_TO_V4];

/// The version the database holds: `None` where it has no `pyrosession_version` table.
fn version(client: &mut impl Queries, place: &Place) -> Result<Option<i64>, StorageError> {
    let doing = "reading the schema version";
    // The path first, in a statement of its own that calls nothing but the qualified
    // `current_schemas`: a function or operator planted in a schema before `pg_catalog` would
    // run in any statement that names one bare, this check's next one included.
    let path: Vec<String> = client
        .query_one("SELECT pg_catalog.current_schemas(true)::text[]", &[])
        .and_then(|r| r.try_get(0).map_err(Fail::from))
        .map_err(|e| pg_error(place, doing, &e))?;
    if let Some(detail) = before_the_catalog(&path) {
        return Err(place.error(StorageErrorKind::InconsistentSchema { detail }));
    }
    // The catalog read as a table, by the statement's snapshot: `to_regclass` would look
    // through this backend's catalog cache, which still says "no such table" after another
    // connection created it, until the next transaction begins (spec/postgres.md §3.2). With
    // it, the schemas of the search_path that hold an object of the engine's names, in the
    // path's order: they must be the first schema alone (or none).
    let row = client
        .query_one(
            "SELECT pg_catalog.current_schema()::text, \
                 EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = pg_catalog.current_schema() AND c.relname = 'pyrosession_version'), \
                 ARRAY(SELECT p.s::text FROM pg_catalog.unnest(pg_catalog.current_schemas(false)) WITH ORDINALITY AS p(s, i) \
                     WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                         WHERE n.nspname = p.s AND c.relname IN ('pyrosession_version', 'pyrosession_sessions', \
                             'pyrosession_peers', 'pyrosession_lease_tokens')) \
                     ORDER BY p.i)",
            &[],
        )
        .map_err(|e| pg_error(place, doing, &e))?;
    let first: Option<String> = row.try_get(0).map_err(|e| pg_error(place, doing, &e))?;
    let exists: bool = row.try_get(1).map_err(|e| pg_error(place, doing, &e))?;
    let holding: Vec<String> = row.try_get(2).map_err(|e| pg_error(place, doing, &e))?;
    if let Some(detail) = shadowed(first.as_deref(), &holding) {
        return Err(place.error(StorageErrorKind::InconsistentSchema { detail }));
    }
    if !exists {
        if let Some(first) = first.filter(|f| holding.contains(f)) {
            // Created with the version table in one transaction: one gone without the others
            // was dropped, or another program made them.
            return Err(place.error(StorageErrorKind::InconsistentSchema {
                detail: format!(
                    "schema \"{}\" holds pyrosession's tables but no pyrosession_version table; \
                     restore it with the version the tables are at",
                    crate::escape::one_line(&first)
                ),
            }));
        }
        return Ok(None);
    }
    let rows = client
        .query(
            "SELECT number::bigint FROM pyrosession_version LIMIT 2",
            &[],
        )
        .map_err(|e| pg_error(place, doing, &e))?;
    if rows.len() != 1 {
        let found: i64 = client
            .query_one("SELECT count(*) FROM pyrosession_version", &[])
            .and_then(|r| r.try_get(0).map_err(Fail::from))
            .map_err(|e| pg_error(place, doing, &e))?;
        return Err(place.error(StorageErrorKind::VersionRows {
            found: usize::try_from(found).unwrap_or(usize::MAX),
        }));
    }
    let number: Option<i64> = rows[0]
        .try_get(0)
        .map_err(|e| pg_error(place, doing, &Fail::from(e)))?;
    match number {
        Some(n) if n >= 1 => Ok(Some(n)),
        other => Err(place.error(StorageErrorKind::InconsistentSchema {
            detail: format!(
                "pyrosession_version.number holds {}, not a version (1 or more)",
                other.map_or_else(|| "NULL".to_owned(), |n| n.to_string())
            ),
        })),
    }
}

/// Why a search path (`current_schemas(true)`, the implicit schemas included) that lists a
/// schema before `pg_catalog` is refused (spec/postgres.md §3.2): the engine's statements call
/// functions and operators by their bare names (`clock_timestamp`, `nextval`, `=`), which
/// PostgreSQL then looks up in that schema first, so whoever may create in it could run code
/// as the engine's role in every statement, its auth keys in reach. The session's temporary
/// schema, searched first for tables only, is left aside.
fn before_the_catalog(path: &[String]) -> Option<String> {
    let first = path.iter().find(|s| !s.starts_with("pg_temp_"))?;
    (first != "pg_catalog").then(|| {
        format!(
            "the search_path lists schema \"{}\" before pg_catalog, so its functions and \
             operators would be called in place of PostgreSQL's own; list pg_catalog first, or \
             leave it out",
            crate::escape::one_line(first)
        )
    })
}

/// Why the schemas of the `search_path` that hold objects of the engine's names (`holding`, in
/// the path's order) are not the first schema alone (`first`, `current_schema()`), where the
/// engine reads and creates its tables (spec/postgres.md §3.2): another schema's tables would
/// be left aside for a new set in the first, or be shadowed by the first one's, which whoever
/// may create in that schema could have put there.
fn shadowed(first: Option<&str>, holding: &[String]) -> Option<String> {
    let quoted = |s: &str| format!("\"{}\"", crate::escape::one_line(s));
    match holding {
        [] => None,
        [one] if Some(one.as_str()) == first => None,
        [one] => Some(format!(
            "the search_path finds pyrosession's tables in schema {}, not in its first schema {}, \
             where they would be read and created; set the search_path to the schema that holds them",
            quoted(one),
            first.map_or_else(|| "(none)".to_owned(), quoted)
        )),
        several => Some(format!(
            "the search_path finds pyrosession's tables in more than one schema ({}): the first \
             one's would shadow the others'; set the search_path to the schema that holds them",
            several.iter().map(|s| quoted(s)).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Brings the database to [`SCHEMA_VERSION`] (spec/postgres.md §3.2): nothing when it is
/// there; otherwise, under the advisory lock, in one transaction, creates the schema (version
/// 1) and runs the migrations from the version found (or 1). A newer version is refused.
pub(crate) fn migrate(client: &mut Conn, place: &Place) -> Result<(), StorageError> {
    match version(client, place)? {
        Some(SCHEMA_VERSION) => return Ok(()),
        Some(found) if found > SCHEMA_VERSION => {
            return Err(place.error(StorageErrorKind::NewerServerSchema {
                found,
                known: SCHEMA_VERSION,
            }))
        }
        _ => {}
    }
    // The migration may wait for the tables' locks and rebuild an index of every peer: its
    // statements get a longer bound than the connection's own, which is set back after.
    let bound = client.bound();
    client.set_bound(bound.max(MIGRATION_TIMEOUT));
    let migrated = migrate_locked(client, place);
    client.set_bound(bound);
    migrated
}

/// The migration's transaction, under its advisory lock (spec/postgres.md §3.2).
fn migrate_locked(client: &mut Conn, place: &Place) -> Result<(), StorageError> {
    let doing = "migrating the schema";
    let mut tx = client
        .transaction()
        .map_err(|e| pg_error(place, doing, &e))?;
    tx.execute(
        "SELECT pg_catalog.pg_advisory_xact_lock($1)",
        &[&MIGRATION_LOCK],
    )
    .map_err(|e| pg_error(place, doing, &e))?;
    // Another connection may have migrated while this one waited for the lock: look again,
    // under it. A new database is created at version 1 and then migrated as an old one is.
    let from = match version(&mut tx, place)? {
        None => {
            tx.batch_execute(SCHEMA_V1)
                .map_err(|e| pg_error(place, doing, &e))?;
            1
        }
        Some(found) if found > SCHEMA_VERSION => {
            return Err(place.error(StorageErrorKind::NewerServerSchema {
                found,
                known: SCHEMA_VERSION,
            }))
        }
        Some(found) => found,
    };
    for step in MIGRATIONS
        .iter()
        .skip(usize::try_from(from - 1).unwrap_or(usize::MAX))
    {
        tx.batch_execute(step)
            .map_err(|e| pg_error(place, doing, &e))?;
    }
    tx.commit().map_err(|e| pg_error(place, doing, &e))
}
