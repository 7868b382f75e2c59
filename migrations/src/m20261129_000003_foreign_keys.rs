//! Foreign keys on every reference column, and the `approval_step_approvers` join table.
//!
//! Until now the schema had no foreign keys: the services kept references valid on their own.
//! This migration makes the database say so too, on data that already exists.
//!
//! # What each reference does when its target is deleted
//!
//! Nothing in the application deletes users, requests, workflows, teams, steps, events or
//! deliveries today (people are deactivated, not deleted); only roles are deleted, and
//! `delete_role` removes their grants and memberships first. The choices below are for
//! whoever adds a delete later, and for an operator with a SQL prompt:
//!
//! - **RESTRICT** (the default here) wherever the row is part of a request's history or of the
//!   audit trail: `requests.{workflow_id, requester_id, assignee_id, team}`,
//!   `approval_steps.request_id`, `approval_decisions.{step_id, request_id, approver_id}`,
//!   `events.{request_id, actor_id}`, `comments.{request_id, author_id}`,
//!   `outbox.{request_id, event_id}`, `approval_step_approvers.user_id`,
//!   `workflows.published_by`, `inbound_hooks.service_user_id`. Cascading would delete
//!   history silently, and `SET NULL` on `events` would break the hash chain (`actor_id` is
//!   part of each event's hash) or change a request without an audit event. Deleting such a
//!   parent must be a deliberate purge that removes the children first.
//! - **CASCADE** where the child only describes its parent: `team_members.{team_id, user_id}`,
//!   `user_roles.{user_id, role_id}`, `role_permissions.role_id`, `api_tokens.user_id` (a
//!   token acts as its user and means nothing without it), `delivery_attempts.delivery_id`
//!   (the attempt log of one outbox row), `notifications.{user_id, request_id, event_id}`
//!   (a person's inbox, derived from events), `approval_step_approvers.step_id`.
//! - **SET NULL** for `users.manager_id`: a report outlives a removed manager (approvals by
//!   `requester.manager` then find no approver, which they already handle).
//!
//! `requests.team` names `teams.key` (unique, and never changed or deleted by the app; the
//! teams a workflow routes to are checked when it is published). References that are not
//! foreign keys on purpose: `outbox.target` (an integration key that may not exist: such a
//! delivery fails and is recorded), `events.stream` (a request id or `system`), the
//! `workflow_key` columns (a key names every version, it is not unique) and the JSON lists
//! (`api_tokens.roles`, `role_permissions.workflows`).
//!
//! # Rows that already break a reference
//!
//! Before changing anything the migration counts, for every foreign key, the rows whose
//! reference names nothing (and the approver ids in `approval_steps.approvers` that name no
//! user). If there are any it stops with one message that lists each reference, its count and
//! a query to find the rows, and changes nothing. It does not repair them: which repair is
//! right (delete the row, clear the reference, restore the missing parent) depends on how the
//! data got there, and a wrong guess destroys evidence (events are hash-chained).
//!
//! # SQLite
//!
//! SQLite cannot add a constraint to an existing table, so each table is rebuilt the way its
//! documentation prescribes (<https://sqlite.org/lang_altertable.html>, "making other kinds of
//! table schema changes"): with foreign key enforcement off, in one transaction, create the new
//! table, copy the rows, drop the old table, rename the new one, recreate its indexes, then
//! `PRAGMA foreign_key_check`, and commit. The new table's column definitions are the old
//! table's own text from `sqlite_master`, so column types and defaults stay exactly as they were.
//!
//! `PRAGMA foreign_keys` cannot change inside a transaction, and sea-orm-migration runs SQLite
//! migrations outside one (it wraps only PostgreSQL's) on the application's connection pool,
//! whose connections have foreign keys on. So the rebuild opens one extra connection to the
//! same database with foreign keys off, and runs every statement on it, inside its own
//! transaction. If the process dies after that commit but before the migration is recorded,
//! the next start finds the join table and skips the work.
//!
//! # PostgreSQL
//!
//! `ALTER TABLE ... ADD CONSTRAINT`, inside the transaction sea-orm-migration opens for each
//! PostgreSQL migration, so a failure leaves nothing behind.
//!
//! # The approvers join table
//!
//! `approval_step_approvers (step_id, user_id)` holds the same ids as the JSON text in
//! `approval_steps.approvers`, filled from it here. The JSON column stays until the services
//! read the join table instead of matching `LIKE '%"<id>"%'`; until then both are written.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, SqlxSqliteConnector, Statement,
    TransactionTrait,
};
use sea_orm_migration::sea_query::ForeignKeyAction;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The join table this migration creates; its presence means the migration's work is done.
const APPROVERS: &str = "approval_step_approvers";

/// One foreign key: `table.column` references `parent.parent_column`.
struct Fk {
    table: &'static str,
    column: &'static str,
    parent: &'static str,
    parent_column: &'static str,
    on_delete: OnDelete,
}

#[derive(Clone, Copy)]
enum OnDelete {
    Restrict,
    Cascade,
    SetNull,
}

impl OnDelete {
    fn action(self) -> ForeignKeyAction {
        match self {
            OnDelete::Restrict => ForeignKeyAction::Restrict,
            OnDelete::Cascade => ForeignKeyAction::Cascade,
            OnDelete::SetNull => ForeignKeyAction::SetNull,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            OnDelete::Restrict => "RESTRICT",
            OnDelete::Cascade => "CASCADE",
            OnDelete::SetNull => "SET NULL",
        }
    }
}

const fn fk(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
    on_delete: OnDelete,
) -> Fk {
    Fk {
        table,
        column,
        parent,
        parent_column: "id",
        on_delete,
    }
}

use OnDelete::{Cascade, Restrict, SetNull};

/// Every foreign key on the tables that existed before this migration, grouped by table (the
/// SQLite rebuild handles one table at a time). The `//!` doc gives the reasons.
const FOREIGN_KEYS: &[Fk] = &[
    fk("users", "manager_id", "users", SetNull),
    fk("team_members", "team_id", "teams", Cascade),
    fk("team_members", "user_id", "users", Cascade),
    fk("role_permissions", "role_id", "roles", Cascade),
    fk("user_roles", "user_id", "users", Cascade),
    fk("user_roles", "role_id", "roles", Cascade),
    fk("api_tokens", "user_id", "users", Cascade),
    fk("workflows", "published_by", "users", Restrict),
    fk("requests", "workflow_id", "workflows", Restrict),
    fk("requests", "requester_id", "users", Restrict),
    fk("requests", "assignee_id", "users", Restrict),
    Fk {
        table: "requests",
        column: "team",
        parent: "teams",
        parent_column: "key",
        on_delete: Restrict,
    },
    fk("approval_steps", "request_id", "requests", Restrict),
    fk("approval_decisions", "step_id", "approval_steps", Restrict),
    fk("approval_decisions", "request_id", "requests", Restrict),
    fk("approval_decisions", "approver_id", "users", Restrict),
    fk("events", "request_id", "requests", Restrict),
    fk("events", "actor_id", "users", Restrict),
    fk("comments", "request_id", "requests", Restrict),
    fk("comments", "author_id", "users", Restrict),
    fk("outbox", "request_id", "requests", Restrict),
    fk("outbox", "event_id", "events", Restrict),
    fk("delivery_attempts", "delivery_id", "outbox", Cascade),
    fk("notifications", "user_id", "users", Cascade),
    fk("notifications", "request_id", "requests", Cascade),
    fk("notifications", "event_id", "events", Cascade),
    fk("inbound_hooks", "service_user_id", "users", Restrict),
];

impl Fk {
    fn name(&self) -> String {
        format!("fk_{}_{}", self.table, self.column)
    }

    /// The table constraint as SQLite's `CREATE TABLE` takes it.
    fn sqlite_clause(&self) -> String {
        format!(
            "CONSTRAINT \"{}\" FOREIGN KEY (\"{}\") REFERENCES \"{}\" (\"{}\") ON DELETE {}",
            self.name(),
            self.column,
            self.parent,
            self.parent_column,
            self.on_delete.sql()
        )
    }

    fn create(&self) -> ForeignKeyCreateStatement {
        ForeignKey::create()
            .name(self.name())
            .from(self.table, self.column)
            .to(self.parent, self.parent_column)
            .on_delete(self.on_delete.action())
            .take()
    }

    /// Rows whose reference names nothing; the same text is shown to the operator.
    fn orphans_query(&self) -> String {
        format!(
            "SELECT * FROM \"{t}\" c WHERE c.\"{c}\" IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM \"{p}\" p WHERE p.\"{pc}\" = c.\"{c}\")",
            t = self.table,
            c = self.column,
            p = self.parent,
            pc = self.parent_column,
        )
    }
}

/// The tables that get foreign keys, each once, in the order of `FOREIGN_KEYS`.
fn tables() -> Vec<&'static str> {
    let mut tables: Vec<&'static str> = Vec::new();
    for fk in FOREIGN_KEYS {
        if !tables.contains(&fk.table) {
            tables.push(fk.table);
        }
    }
    tables
}

/// The approver ids of every step, one row per (step, id), as the backend's SQL dialect
/// spells "the elements of a JSON array in a text column".
fn approvers_from_json(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "SELECT DISTINCT s.id AS step_id, a.value AS user_id FROM approval_steps s \
             CROSS JOIN LATERAL json_array_elements_text(s.approvers::json) AS a(value)"
        }
        _ => {
            "SELECT DISTINCT s.id AS step_id, a.value AS user_id FROM approval_steps s, \
             json_each(s.approvers) a"
        }
    }
}

fn approvers_table() -> TableCreateStatement {
    let mut table = primary_pair(APPROVERS, "step_id", "user_id");
    table
        .foreign_key(
            ForeignKey::create()
                .name("fk_approval_step_approvers_step_id")
                .from(APPROVERS, "step_id")
                .to("approval_steps", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_approval_step_approvers_user_id")
                .from(APPROVERS, "user_id")
                .to("users", "id")
                .on_delete(ForeignKeyAction::Restrict),
        );
    table.take()
}

/// Indexes for the new table and for a reference whose parent the app deletes (roles).
fn new_indexes() -> [IndexCreateStatement; 2] {
    [
        // "Which steps may this person decide": the inbox and the read rules.
        index(
            APPROVERS,
            "ix_approval_step_approvers_user",
            &["user_id"],
            false,
        ),
        // `delete_role` removes the role's memberships, and the cascade looks them up.
        index("user_roles", "ix_user_roles_role", &["role_id"], false),
    ]
}

fn refuse(message: String) -> DbErr {
    DbErr::Migration(format!(
        "m20261129_000003_foreign_keys: {message}; nothing was changed"
    ))
}

/// Counts the rows that would break each foreign key, and refuses to go on if there are any.
async fn check_references(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut problems = Vec::new();
    for fk in FOREIGN_KEYS {
        let sql = format!("SELECT COUNT(*) AS n FROM ({}) o", fk.orphans_query());
        let n = count(db, sql).await?;
        if n > 0 {
            problems.push(format!(
                "{}.{} names a missing {}.{} in {n} row(s): {}",
                fk.table,
                fk.column,
                fk.parent,
                fk.parent_column,
                fk.orphans_query()
            ));
        }
    }
    let approvers = format!(
        "SELECT a.* FROM ({}) a WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.user_id)",
        approvers_from_json(backend)
    );
    let n = count(db, format!("SELECT COUNT(*) AS n FROM ({approvers}) o"))
        .await
        .map_err(|e| {
            refuse(format!(
                "approval_steps.approvers must hold JSON arrays of user ids ({e})"
            ))
        })?;
    if n > 0 {
        problems.push(format!(
            "approval_steps.approvers names a missing users.id {n} time(s): {approvers}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(refuse(format!(
            "cannot add foreign keys while rows name things that do not exist; fix or remove \
             them first:\n  {}",
            problems.join("\n  ")
        )))
    }
}

async fn count(db: &impl ConnectionTrait, sql: String) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| DbErr::Migration("COUNT(*) returned no row".into()))?;
    row.try_get("", "n")
}

#[async_trait::async_trait]
#[expect(
    elided_lifetimes_in_paths,
    reason = "`MigrationTrait` elides `SchemaManager`'s lifetime and `async_trait` needs the impl to match"
)]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.has_table(APPROVERS).await? {
            // Only possible on SQLite, when the rebuild committed but recording the migration
            // did not (see the module doc): the work is done.
            return Ok(());
        }
        let db = m.get_connection();
        check_references(db).await?;
        match m.get_database_backend() {
            DbBackend::Sqlite => sqlite::up(m).await,
            _ => {
                for fk in FOREIGN_KEYS {
                    m.create_foreign_key(fk.create()).await?;
                }
                create_approvers(db).await
            }
        }
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        match m.get_database_backend() {
            DbBackend::Sqlite => sqlite::down(m).await,
            _ => {
                drop_new(m.get_connection()).await?;
                for fk in FOREIGN_KEYS {
                    m.drop_foreign_key(
                        ForeignKey::drop()
                            .name(fk.name())
                            .table(fk.table)
                            .to_owned(),
                    )
                    .await?;
                }
                Ok(())
            }
        }
    }
}

/// Creates the join table and its indexes, and fills it from the JSON column.
async fn create_approvers(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute(&approvers_table()).await?;
    for i in new_indexes() {
        db.execute(&i).await?;
    }
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(
        backend,
        format!(
            "INSERT INTO {APPROVERS} (step_id, user_id) {}",
            approvers_from_json(backend)
        ),
    ))
    .await?;
    Ok(())
}

async fn drop_new(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute(
        &Index::drop()
            .name("ix_user_roles_role")
            .table("user_roles")
            .to_owned(),
    )
    .await?;
    db.execute(&Table::drop().table(APPROVERS).to_owned())
        .await?;
    Ok(())
}

/// The table rebuild SQLite needs to add or remove a constraint.
mod sqlite {
    use super::*;
    use sea_orm_migration::SchemaManagerConnection;
    use sea_orm_migration::sea_orm::sqlx::sqlite::SqlitePoolOptions;

    pub(super) async fn up(m: &SchemaManager<'_>) -> Result<(), DbErr> {
        let db = connection_without_foreign_keys(m).await?;
        let result = async {
            let txn = db.begin().await?;
            for table in tables() {
                let clauses: String = FOREIGN_KEYS
                    .iter()
                    .filter(|fk| fk.table == table)
                    .map(|fk| format!(", {}", fk.sqlite_clause()))
                    .collect();
                rebuild(&txn, table, |columns| Ok(format!("{columns}{clauses}"))).await?;
            }
            create_approvers(&txn).await?;
            check_foreign_keys(&txn).await?;
            txn.commit().await
        }
        .await;
        // On error the transaction was dropped, which rolled it back.
        db.close().await?;
        result
    }

    pub(super) async fn down(m: &SchemaManager<'_>) -> Result<(), DbErr> {
        let db = connection_without_foreign_keys(m).await?;
        let result = async {
            let txn = db.begin().await?;
            drop_new(&txn).await?;
            for table in tables() {
                rebuild(&txn, table, |columns| {
                    let mut columns = columns.to_owned();
                    for fk in FOREIGN_KEYS.iter().filter(|fk| fk.table == table) {
                        let clause = format!(", {}", fk.sqlite_clause());
                        if !columns.contains(&clause) {
                            return Err(DbErr::Migration(format!(
                                "{table} no longer has the constraint {} this migration added",
                                fk.name()
                            )));
                        }
                        columns = columns.replace(&clause, "");
                    }
                    Ok(columns)
                })
                .await?;
            }
            check_foreign_keys(&txn).await?;
            txn.commit().await
        }
        .await;
        db.close().await?;
        result
    }

    /// A connection of its own to the migrated database, with foreign key enforcement off.
    async fn connection_without_foreign_keys(
        m: &SchemaManager<'_>,
    ) -> Result<DatabaseConnection, DbErr> {
        let SchemaManagerConnection::Connection(pool_owner) = m.get_connection() else {
            return Err(DbErr::Migration(
                "m20261129_000003_foreign_keys rebuilds tables with foreign keys off, which \
                 SQLite allows only outside a transaction: run it on a connection, not in one"
                    .into(),
            ));
        };
        let db = own_connection(pool_owner).await?;
        let on: i64 = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA foreign_keys",
            ))
            .await?
            .ok_or_else(|| DbErr::Migration("PRAGMA foreign_keys returned no row".into()))?
            .try_get("", "foreign_keys")?;
        if on != 0 {
            db.close().await?;
            return Err(DbErr::Migration(
                "could not turn SQLite foreign keys off for the table rebuild".into(),
            ));
        }
        Ok(db)
    }

    /// A one-connection pool on the same database as `pool_owner`'s pool, with the same
    /// options (file, WAL, busy timeout) except foreign keys, which are off.
    async fn own_connection(pool_owner: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
        let options = (*pool_owner.get_sqlite_connection_pool().connect_options())
            .clone()
            .foreign_keys(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| {
                DbErr::Migration(format!("opening a connection for the table rebuild: {e}"))
            })?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    }

    /// Rebuilds `table` with `columns` (the text between the parentheses of its `CREATE
    /// TABLE`) changed by `change`; its indexes and triggers are recreated as they were.
    async fn rebuild(
        txn: &impl ConnectionTrait,
        table: &str,
        change: impl FnOnce(&str) -> Result<String, DbErr>,
    ) -> Result<(), DbErr> {
        let schema =
            |sql: &str| Statement::from_sql_and_values(DbBackend::Sqlite, sql, [table.into()]);
        let create: String = txn
            .query_one_raw(schema(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
            ))
            .await?
            .ok_or_else(|| DbErr::Migration(format!("table {table} does not exist")))?
            .try_get("", "sql")?;
        // Automatic indexes (primary keys, UNIQUE in the table) have no SQL: the new
        // table's own definition recreates them.
        let mut dependents = Vec::new();
        for row in txn
            .query_all_raw(schema(
                "SELECT sql FROM sqlite_master WHERE tbl_name = ? \
                 AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            ))
            .await?
        {
            dependents.push(row.try_get::<String>("", "sql")?);
        }
        let (Some(open), Some(close)) = (create.find('('), create.rfind(')')) else {
            return Err(DbErr::Migration(format!(
                "cannot read the definition of {table}: {create}"
            )));
        };
        let columns = change(&create[open + 1..close])?;
        let new = format!("{table}__rebuild");
        txn.execute_unprepared(&format!("CREATE TABLE \"{new}\" ({columns})"))
            .await?;
        txn.execute_unprepared(&format!("INSERT INTO \"{new}\" SELECT * FROM \"{table}\""))
            .await?;
        txn.execute_unprepared(&format!("DROP TABLE \"{table}\""))
            .await?;
        txn.execute_unprepared(&format!("ALTER TABLE \"{new}\" RENAME TO \"{table}\""))
            .await?;
        for sql in dependents {
            txn.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    /// `PRAGMA foreign_key_check` over the whole database: with enforcement off nothing
    /// stopped a broken reference on the way, so look before committing.
    async fn check_foreign_keys(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
        let rows = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT \"table\" AS child, parent, COUNT(*) AS n FROM pragma_foreign_key_check \
                 GROUP BY \"table\", parent ORDER BY \"table\", parent",
            ))
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut problems = Vec::new();
        for row in rows {
            let child: String = row.try_get("", "child")?;
            let parent: String = row.try_get("", "parent")?;
            let n: i64 = row.try_get("", "n")?;
            problems.push(format!("{n} row(s) of {child} name a missing {parent}"));
        }
        Err(refuse(format!(
            "PRAGMA foreign_key_check failed after the rebuild: {}",
            problems.join("; ")
        )))
    }
}
