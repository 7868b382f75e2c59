//! Tidy tests: the habits that no compiler checks, read from the sources themselves.
//!
//! Each `#[test]` here walks the workspace's `.rs` files and fails, naming every offending file
//! and line, when
//!
//! - a file does not open with its `//!` module doc (STYLE.md: every module says what it owns);
//! - `backend/src/graphql` names SeaORM (`sea_orm`, `sea_query`): resolvers call services and
//!   `db` functions, they never build queries (ARCHITECTURE.md's dependency rule);
//! - the modules of `backend/src/services` and `backend/src/graphql` import each other in a
//!   cycle (see `imports`);
//! - `#[allow(..)]` appears where `#[expect(.., reason = "..")]` fits: an expectation warns
//!   once it is no longer needed, an allow silently outlives its cause. [`ALLOWED_ALLOWS`] lists
//!   the places where an expectation cannot work, each with its reason;
//! - an integration-test crate root lacks `#![cfg(test)]`, without which clippy treats its
//!   helpers as production code and `unwrap_used`/`expect_used` fire on them;
//! - backend code outside `db.rs` begins a transaction itself (`.begin()`, `.transaction(..)`)
//!   instead of through `db::begin_write`, which bounds its lock waits.
//!
//! They run with `cargo test --workspace` (xtask is a default member), so CI and a plain
//! `cargo test` enforce them. The checks work on tokens, not on a full parse: comments and string
//! literals are skipped, which is all these rules need. Their own behaviour is pinned by the
//! table-driven tests at the end of this file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::web::workspace_root;

mod imports;
mod lex;

use imports::module_graph;
use lex::{lex, matching};

/// `#[allow(..)]` that stay, with why `#[expect]` cannot replace them (path relative to the
/// workspace root). An entry that no longer matches an allow fails the test, like an unfulfilled
/// expectation.
const ALLOWED_ALLOWS: &[(&str, &str)] = &[(
    "shared/tests/common/mod.rs",
    "each test crate includes these helpers and uses a different subset of them, so \
     `expect(dead_code)` would be unfulfilled in the crates that use them all",
)];

/// Directories never walked: build output, installed packages, the web app's bundle and hidden
/// directories (`.git`, `.cargo`, `.ci`).
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", "dist"];

/// A source file of the workspace.
struct SourceFile {
    /// Relative to the workspace root, with `/` separators.
    rel: String,
    text: String,
}

/// Every `.rs` file of the workspace except build output and generated files (those whose first
/// line carries the usual `@generated` marker), sorted by path.
fn workspace_sources() -> Vec<SourceFile> {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from);
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let is_target = target.as_deref().is_some_and(|t| t == path);
                if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) && !is_target {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                if text
                    .lines()
                    .next()
                    .is_some_and(|l| l.contains("@generated"))
                {
                    continue;
                }
                files.push(SourceFile {
                    rel: relative(&root, &path),
                    text,
                });
            }
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    assert!(
        files.iter().any(|f| f.rel == "backend/src/lib.rs"),
        "the walk found no backend sources under {}",
        root.display()
    );
    files
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn fail_with(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}:\n  {}\n",
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// The checks

#[test]
fn every_file_opens_with_its_module_doc() {
    let problems: Vec<String> = workspace_sources()
        .iter()
        .filter(|f| !opens_with_module_doc(&f.text))
        .map(|f| format!("{}: the first line is not a `//!` doc", f.rel))
        .collect();
    fail_with(
        "files without their `//!` module doc (say what the module owns and what it must not do)",
        &problems,
    );
}

#[test]
fn graphql_does_not_use_sea_orm() {
    let mut problems = Vec::new();
    for file in workspace_sources() {
        if file.rel == "backend/src/graphql.rs" || file.rel.starts_with("backend/src/graphql/") {
            for line in sea_orm_mentions(&file.text) {
                problems.push(format!("{}:{line}", file.rel));
            }
        }
    }
    fail_with(
        "backend/src/graphql names SeaORM; move the query into `services` or `db`",
        &problems,
    );
}

#[test]
fn no_import_cycles_in_services_or_graphql() {
    let sources = workspace_sources();
    let backend: Vec<(&str, &str)> = sources
        .iter()
        .filter_map(|f| {
            f.rel
                .strip_prefix("backend/src/")
                .map(|rel| (rel, f.text.as_str()))
        })
        .collect();
    let graph = module_graph(&backend);
    let report = graph.cycles_report(|node| {
        node.starts_with("services::")
            || node.starts_with("graphql::")
            || node == "services"
            || node == "graphql"
    });
    assert!(
        report.is_empty(),
        "import cycles between backend modules (services, graphql); each module below is a file's \
         module with its submodules folded in, and each edge names the first line that makes it:\n{}",
        report.join("\n")
    );
}

#[test]
fn lints_are_expected_not_allowed() {
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    for file in workspace_sources() {
        let lines = allow_attributes(&file.text);
        if lines.is_empty() {
            continue;
        }
        if ALLOWED_ALLOWS.iter().any(|(path, _)| *path == file.rel) {
            used.insert(file.rel.clone());
            continue;
        }
        for line in lines {
            problems.push(format!(
                "{}:{line}: use `#[expect(lint, reason = \"..\")]`",
                file.rel
            ));
        }
    }
    for (path, _) in ALLOWED_ALLOWS {
        if !used.contains(*path) {
            problems.push(format!(
                "{path}: listed in ALLOWED_ALLOWS but has no `allow` left; remove the entry"
            ));
        }
    }
    fail_with(
        "`allow` where `expect` fits (or add the file to ALLOWED_ALLOWS with the reason)",
        &problems,
    );
}

#[test]
fn integration_test_crates_are_cfg_test() {
    let problems: Vec<String> = workspace_sources()
        .iter()
        .filter(|f| is_test_crate_root(&f.rel) && !declares_cfg_test(&f.text))
        .map(|f| format!("{}: add `#![cfg(test)]` after the `//!` doc", f.rel))
        .collect();
    fail_with(
        "integration-test crate roots without `#![cfg(test)]` (clippy's allow-unwrap-in-tests \
         covers their helpers only with it)",
        &problems,
    );
}

// ---------------------------------------------------------------------------------------------
// Per-file rules

#[test]
fn write_transactions_begin_through_begin_write() {
    let mut problems = Vec::new();
    for file in workspace_sources() {
        if file.rel.starts_with("backend/src/") && file.rel != "backend/src/db.rs" {
            for line in transaction_begins(&file.text) {
                problems.push(format!("{}:{line}", file.rel));
            }
        }
    }
    fail_with(
        "a transaction begun without `db::begin_write` (or `AppState::begin_write`) waits for \
         locks without a bound; begin it there",
        &problems,
    );
}

/// Lines of method calls that begin a transaction: `.begin(`, `.begin_with_config(`,
/// `.begin_with_options(`, `.transaction(`, `.transaction_with_config(`.
fn transaction_begins(text: &str) -> Vec<usize> {
    const BEGINS: [&str; 5] = [
        "begin",
        "begin_with_config",
        "begin_with_options",
        "transaction",
        "transaction_with_config",
    ];
    let tokens = lex(text);
    let mut lines: Vec<usize> = tokens
        .windows(3)
        .filter(|w| {
            w[0].is_punct('.')
                && w[1].ident().is_some_and(|name| BEGINS.contains(&name))
                && (w[2].is_punct('(') || w[2].is_punct(':'))
        })
        .map(|w| w[1].line)
        .collect();
    lines.dedup();
    lines
}

fn opens_with_module_doc(text: &str) -> bool {
    text.lines().next().is_some_and(|l| l.starts_with("//!"))
}

/// Lines naming `sea_orm` or `sea_query` in code (comments and strings do not count).
fn sea_orm_mentions(text: &str) -> Vec<usize> {
    let mut lines: Vec<usize> = lex(text)
        .iter()
        .filter(|t| t.is_ident("sea_orm") || t.is_ident("sea_query"))
        .map(|t| t.line)
        .collect();
    lines.dedup();
    lines
}

/// Lines of `#[allow(`, `#![allow(` and `#[cfg_attr(.., allow(..))]`.
fn allow_attributes(text: &str) -> Vec<usize> {
    let tokens = lex(text);
    let mut lines = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if !token.is_punct('#') {
            continue;
        }
        let mut j = i + 1;
        if tokens.get(j).is_some_and(|t| t.is_punct('!')) {
            j += 1;
        }
        if !tokens.get(j).is_some_and(|t| t.is_punct('[')) {
            continue;
        }
        let Some(end) = matching(&tokens, j) else {
            continue;
        };
        let attr = &tokens[j + 1..end];
        let is_allow = |k: usize| {
            attr[k].is_ident("allow") && attr.get(k + 1).is_some_and(|t| t.is_punct('('))
        };
        let hit = match attr.first() {
            Some(t) if t.is_ident("allow") => is_allow(0),
            Some(t) if t.is_ident("cfg_attr") => (0..attr.len()).any(is_allow),
            _ => false,
        };
        if hit {
            lines.push(token.line);
        }
    }
    lines
}

/// `tests/*.rs` and `tests/*/main.rs` of any crate: the roots of integration-test crates.
fn is_test_crate_root(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.iter().rposition(|p| *p == "tests") {
        Some(i) if i + 2 == parts.len() => true,
        Some(i) if i + 3 == parts.len() => parts[i + 2] == "main.rs",
        _ => false,
    }
}

fn declares_cfg_test(text: &str) -> bool {
    let t = lex(text);
    t.windows(7).any(|w| {
        w[0].is_punct('#')
            && w[1].is_punct('!')
            && w[2].is_punct('[')
            && w[3].is_ident("cfg")
            && w[4].is_punct('(')
            && w[5].is_ident("test")
            && w[6].is_punct(')')
    })
}

// ---------------------------------------------------------------------------------------------
// The rules' own behaviour, table-driven: (source, the lines a rule must report).

#[test]
fn allow_check_finds_what_it_should() {
    let cases: &[(&str, &[usize])] = &[
        ("#[allow(dead_code)]\nfn f() {}", &[1]),
        ("//! Doc.\n#![allow(unused)]", &[2]),
        ("#[cfg_attr(test, allow(clippy::unwrap_used))]", &[1]),
        ("#[expect(dead_code, reason = \"x\")]\nfn f() {}", &[]),
        (
            "// #[allow(dead_code)]\nconst S: &str = \"#[allow(x)]\";",
            &[],
        ),
        ("const R: &str = r#\"#[allow(x)]\"#;\n#[allow(x)]", &[2]),
        (
            "let c = '#'; let l: &'static str = \"\"; #[allow(x)] fn f() {}",
            &[1],
        ),
    ];
    for (src, expected) in cases {
        assert_eq!(allow_attributes(src), *expected, "source: {src}");
    }
}

#[test]
fn sea_orm_check_reads_code_only() {
    let cases: &[(&str, &[usize])] = &[
        ("use sea_orm::EntityTrait;", &[1]),
        ("fn f() {\n    sea_orm::Condition::all();\n}", &[2]),
        ("use crate::db::sea_query_free;", &[]),
        ("//! Never uses sea_orm.\nconst S: &str = \"sea_orm\";", &[]),
    ];
    for (src, expected) in cases {
        assert_eq!(sea_orm_mentions(src), *expected, "source: {src}");
    }
}

#[test]
fn transaction_check_finds_direct_begins_only() {
    let cases: &[(&str, &[usize])] = &[
        ("let t = state.db.begin().await?;", &[1]),
        ("db\n    .begin_with_options(o)", &[2]),
        ("db.transaction::<_, _, E>(|t| f(t))", &[1]),
        ("let t = state.begin_write().await?;", &[]),
        ("// db.begin()\nlet s = \"x.begin()\";", &[]),
        ("fn begin() {}", &[]),
    ];
    for (src, expected) in cases {
        assert_eq!(transaction_begins(src), *expected, "{src}");
    }
}

#[test]
fn test_crate_roots_are_recognised() {
    let cases = [
        ("backend/tests/cli.rs", true),
        ("backend/tests/api/main.rs", true),
        ("backend/tests/api/helpers.rs", false),
        ("shared/tests/common/mod.rs", false),
        ("backend/src/tests.rs", false),
        ("e2e/tests/browser.rs", true),
    ];
    for (path, expected) in cases {
        assert_eq!(is_test_crate_root(path), expected, "path: {path}");
    }
    assert!(declares_cfg_test("//! Doc.\n\n#![cfg(test)]\n"));
    assert!(!declares_cfg_test("//! Doc.\n\n#[cfg(test)]\nmod t {}\n"));
}
