//! Column and table builders the migrations share, so each migration file reads as its schema.
//! Changing one of these changes no released migration's effect only if the generated DDL stays
//! the same: treat them as frozen, add new helpers instead.

use sea_orm_migration::prelude::*;

pub(crate) fn id(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(36)
        .not_null()
        .primary_key()
        .take()
}
pub(crate) fn string(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().not_null().take()
}
pub(crate) fn string_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().null().take()
}
pub(crate) fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().take()
}
pub(crate) fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}
pub(crate) fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().take()
}
pub(crate) fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().null().take()
}
pub(crate) fn bigint(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}
pub(crate) fn boolean(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().take()
}
pub(crate) fn time(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}
pub(crate) fn time_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .take()
}

pub(crate) fn table(name: &'static str, columns: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name);
    for mut c in columns {
        t.col(&mut c);
    }
    t.take()
}

pub(crate) fn index(
    table: &'static str,
    name: &'static str,
    columns: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in columns {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.take()
}

pub(crate) fn primary_pair(
    name: &'static str,
    a: &'static str,
    b: &'static str,
) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(ColumnDef::new(a).string_len(36).not_null())
        .col(ColumnDef::new(b).string_len(36).not_null())
        .primary_key(Index::create().col(a).col(b))
        .take()
}
