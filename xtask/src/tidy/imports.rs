//! The import graph of the backend's modules, for the tidy check that forbids cycles.
//!
//! It works on the lexer's tokens, not on a full parse: `use` trees and paths are all it needs.

use std::collections::{BTreeMap, BTreeSet};

use super::lex::{Token, lex, matching};

/// The import graph of one crate's modules, built from its files.
///
/// A node is a file's module path (`services/requests.rs` is `services::requests`) folded to its
/// first two segments, so `services/requests/submit.rs` belongs to `services::requests`: the
/// cycles that matter are between areas, not inside one. An edge `a -> b` exists when code of
/// `a` names `b` by a `crate::` path, a `super::`/`self::` path, or through a `use` of a module
/// (`use crate::services; services::requests::f()`), in `use` items or anywhere in the code.
/// Items under `#[cfg(test)]` are left out: tests may reach across modules. `main.rs` is a
/// separate crate and is left out too.
pub(super) struct ModuleGraph {
    /// `(from, to)` with the first `file:line` that makes the edge.
    edges: BTreeMap<(String, String), String>,
}

pub(super) fn module_graph(files: &[(&str, &str)]) -> ModuleGraph {
    let modules: Vec<(Vec<String>, &str, &str)> = files
        .iter()
        .filter_map(|(rel, text)| module_path(rel).map(|path| (path, *rel, *text)))
        .collect();
    let known: BTreeSet<Vec<String>> = modules.iter().map(|(path, _, _)| path.clone()).collect();
    let mut edges = BTreeMap::new();
    for (module, rel, text) in &modules {
        let from = fold(module);
        for (target, line) in references(module, text, &known) {
            let to = fold(&target);
            if to != from && !to.is_empty() {
                edges
                    .entry((from.clone(), to))
                    .or_insert_with(|| format!("backend/src/{rel}:{line}"));
            }
        }
    }
    ModuleGraph { edges }
}

/// `services/requests.rs` -> `[services, requests]`; `lib.rs` -> `[]`; `a/mod.rs` -> `[a]`;
/// `None` for `main.rs` and `bin/`, which are other crates.
fn module_path(rel: &str) -> Option<Vec<String>> {
    let rel = rel.strip_suffix(".rs")?;
    if rel == "main" || rel.starts_with("bin/") {
        return None;
    }
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    Some(parts)
}

/// The first two segments, joined: the node a module belongs to.
fn fold(path: &[String]) -> String {
    path.iter().take(2).cloned().collect::<Vec<_>>().join("::")
}

/// The modules `text` (the file of `module`) refers to, each with the line of its first mention.
fn references(
    module: &[String],
    text: &str,
    known: &BTreeSet<Vec<String>>,
) -> Vec<(Vec<String>, usize)> {
    let tokens = without_cfg_test(&lex(text));
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut found = Vec::new();
    let mut in_use = vec![false; tokens.len()];
    // `use` items first: they bind the module aliases that later paths go through.
    let mut i = 0;
    while i < tokens.len() {
        let is_use = tokens[i].is_ident("use")
            && !tokens.get(i + 1).is_some_and(|t| t.is_punct('<'))
            && !follows_path_separator(&tokens, i);
        if !is_use {
            i += 1;
            continue;
        }
        let line = tokens[i].line;
        let end = (i..tokens.len())
            .find(|&k| tokens[k].is_punct(';'))
            .unwrap_or(tokens.len());
        in_use[i..end].iter_mut().for_each(|t| *t = true);
        let mut leaves = Vec::new();
        parse_use_tree(&tokens[i + 1..end], &mut 0, Vec::new(), &mut leaves);
        for leaf in leaves {
            let Some(absolute) = resolve(module, &leaf.path, &BTreeMap::new()) else {
                continue;
            };
            if let Some(target) = longest_known(&absolute, known) {
                found.push((target, line));
            }
            let names_module = known.iter().any(|m| m.starts_with(&absolute));
            if !leaf.glob && !absolute.is_empty() && names_module {
                let name = leaf
                    .alias
                    .clone()
                    .or_else(|| absolute.last().cloned())
                    .unwrap_or_default();
                aliases.insert(name, absolute);
            }
        }
        i = end;
    }
    // Then every path in the code: `crate::a::b`, `super::x`, `alias::y::f`.
    for (k, token) in tokens.iter().enumerate() {
        if in_use[k] {
            continue;
        }
        let Some(first) = token.ident() else { continue };
        let starts_path = tokens.get(k + 1).is_some_and(|t| t.is_punct(':'))
            && tokens.get(k + 2).is_some_and(|t| t.is_punct(':'))
            && !follows_path_separator(&tokens, k);
        let relevant = matches!(first, "crate" | "super" | "self") || aliases.contains_key(first);
        if !starts_path || !relevant {
            continue;
        }
        let mut path = vec![first.to_owned()];
        let mut j = k + 1;
        while tokens.get(j).is_some_and(|t| t.is_punct(':'))
            && tokens.get(j + 1).is_some_and(|t| t.is_punct(':'))
        {
            match tokens.get(j + 2).and_then(Token::ident) {
                Some(segment) => path.push(segment.to_owned()),
                None => break,
            }
            j += 3;
        }
        if let Some(absolute) = resolve(module, &path, &aliases)
            && let Some(target) = longest_known(&absolute, known)
        {
            found.push((target, token.line));
        }
    }
    found
}

/// Whether the token at `k` continues a path (`a::b`: `b` follows `::`), rather than starting
/// one after a single `:` (`field: crate::T`).
fn follows_path_separator(tokens: &[Token], k: usize) -> bool {
    k >= 2 && tokens[k - 1].is_punct(':') && tokens[k - 2].is_punct(':')
}

/// A path written relative to `module` (`crate::`, `super::`, `self::` or a module alias), as
/// segments from the crate root; `None` for paths into other crates.
fn resolve(
    module: &[String],
    path: &[String],
    aliases: &BTreeMap<String, Vec<String>>,
) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => {
            let mut base = module.to_vec();
            base.pop()?;
            base
        }
        other => aliases.get(other)?.clone(),
    };
    for segment in rest {
        match segment.as_str() {
            "super" => {
                base.pop()?;
            }
            "self" => {}
            _ => base.push(segment.clone()),
        }
    }
    Some(base)
}

/// The longest prefix of `path` that is a module with a file (the rest names items in it).
fn longest_known(path: &[String], known: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| known.contains(prefix))
}

/// One path a `use` item brings in: `use a::{b as c, d::*}` gives `a::b` (alias `c`) and `a::d`
/// (glob).
#[derive(Debug)]
struct UseLeaf {
    path: Vec<String>,
    alias: Option<String>,
    glob: bool,
}

fn parse_use_tree(tokens: &[Token], i: &mut usize, prefix: Vec<String>, out: &mut Vec<UseLeaf>) {
    let mut path = prefix;
    loop {
        match tokens.get(*i) {
            Some(t) if t.is_punct(':') => *i += 1,
            Some(t) if t.is_punct('*') => {
                *i += 1;
                out.push(UseLeaf {
                    path,
                    alias: None,
                    glob: true,
                });
                return;
            }
            Some(t) if t.is_punct('{') => {
                *i += 1;
                loop {
                    match tokens.get(*i) {
                        None => return,
                        Some(t) if t.is_punct('}') => {
                            *i += 1;
                            return;
                        }
                        Some(t) if t.is_punct(',') => *i += 1,
                        Some(_) => parse_use_tree(tokens, i, path.clone(), out),
                    }
                }
            }
            Some(t) if t.is_ident("as") => {
                let alias = tokens.get(*i + 1).and_then(Token::ident).map(str::to_owned);
                *i += 2;
                out.push(UseLeaf {
                    path,
                    alias,
                    glob: false,
                });
                return;
            }
            Some(t) if t.ident().is_some() => {
                let segment = t.ident().unwrap_or_default().to_owned();
                *i += 1;
                // `{self, ..}` names the prefix itself.
                if segment != "self" || path.is_empty() {
                    path.push(segment);
                }
            }
            _ => {
                if !path.is_empty() {
                    out.push(UseLeaf {
                        path,
                        alias: None,
                        glob: false,
                    });
                }
                return;
            }
        }
    }
}

impl ModuleGraph {
    /// Every simple cycle among the nodes `keep` accepts (edges through other nodes do not
    /// count), one line each, then the edges they use with the line that makes each; empty when
    /// there is none.
    pub(super) fn cycles_report(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        let mut adjacency: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (from, to) in self.edges.keys() {
            if keep(from) && keep(to) {
                adjacency.entry(from).or_default().push(to);
            }
        }
        let cycles = simple_cycles(&adjacency);
        if cycles.is_empty() {
            return Vec::new();
        }
        let mut report = vec![format!("{} cycle(s):", cycles.len())];
        let mut used = BTreeSet::new();
        for cycle in &cycles {
            let mut names: Vec<&str> = cycle.clone();
            names.push(cycle[0]);
            report.push(format!("  {}", names.join(" -> ")));
            for pair in names.windows(2) {
                used.insert((pair[0].to_owned(), pair[1].to_owned()));
            }
        }
        report.push("edges:".to_owned());
        for edge in &used {
            report.push(format!(
                "  {} -> {}  ({})",
                edge.0, edge.1, self.edges[edge]
            ));
        }
        report
    }
}

/// All simple cycles of a small graph, each starting at its smallest node, in order. The graph
/// has a few dozen nodes at most, so a depth-first search from every node is plenty.
fn simple_cycles<'a>(adjacency: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<Vec<&'a str>> {
    fn walk<'a>(
        start: &'a str,
        node: &'a str,
        adjacency: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        out: &mut Vec<Vec<&'a str>>,
    ) {
        for &next in adjacency.get(node).into_iter().flatten() {
            if next == start {
                out.push(stack.clone());
            } else if next > start && !stack.contains(&next) && out.len() < 1000 {
                stack.push(next);
                walk(start, next, adjacency, stack, out);
                stack.pop();
            }
        }
    }
    let mut out = Vec::new();
    for &start in adjacency.keys() {
        walk(start, start, adjacency, &mut vec![start], &mut out);
    }
    out
}

/// The tokens outside items marked `#[cfg(test)]` (the attribute, any attributes after it and
/// the item up to its `;` or closing brace are dropped).
fn without_cfg_test(tokens: &[Token]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let is_cfg_test = tokens[i].is_punct('#')
            && tokens.get(i + 1).is_some_and(|t| t.is_punct('['))
            && tokens.get(i + 2).is_some_and(|t| t.is_ident("cfg"))
            && tokens.get(i + 3).is_some_and(|t| t.is_punct('('))
            && tokens.get(i + 4).is_some_and(|t| t.is_ident("test"))
            && tokens.get(i + 5).is_some_and(|t| t.is_punct(')'));
        if !is_cfg_test {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        // Skip this attribute and any that follow, then the item.
        let mut j = i;
        while tokens.get(j).is_some_and(|t| t.is_punct('#'))
            && tokens.get(j + 1).is_some_and(|t| t.is_punct('['))
        {
            j = matching(tokens, j + 1).map_or(tokens.len(), |end| end + 1);
        }
        while j < tokens.len() {
            if tokens[j].is_punct(';') {
                j += 1;
                break;
            }
            if tokens[j].is_punct('{') {
                j = matching(tokens, j).map_or(tokens.len(), |end| end + 1);
                break;
            }
            j += 1;
        }
        i = j;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The check's own behaviour, table-driven: (files, the cycles it must report).

/// The cycle report for a crate given as `(path under src/, text)` pairs, restricted to
/// services and graphql like the real check.
fn cycles_of(files: &[(&str, &str)]) -> Vec<String> {
    module_graph(files).cycles_report(|n| n.starts_with("services") || n.starts_with("graphql"))
}

fn cycle_lines(files: &[(&str, &str)]) -> Vec<String> {
    cycles_of(files)
        .into_iter()
        .filter(|l| l.starts_with("  ") && !l.contains('('))
        .map(|l| l.trim().to_owned())
        .collect()
}

/// A named case: the files of a crate and the cycles the check must report.
type CycleCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

#[test]
fn cycle_check_finds_what_it_should() {
    let cases: &[CycleCase<'_>] = &[
        (
            "two services importing each other with crate paths",
            &[
                ("services/a.rs", "use crate::services::b::f;"),
                ("services/b.rs", "use crate::services::a;"),
            ],
            &["services::a -> services::b -> services::a"],
        ),
        (
            "a one-way dependency is fine",
            &[
                ("services/a.rs", "use crate::services::b::f;"),
                ("services/b.rs", "use crate::db;"),
                ("db.rs", ""),
            ],
            &[],
        ),
        (
            "grouped imports, super paths and paths in code",
            &[
                ("services/a.rs", "use crate::{db, services::{b as bee, c}};"),
                ("services/b.rs", "fn f() { super::c::g() }"),
                ("services/c.rs", "fn g() { crate::services::a::h() }"),
                ("db.rs", ""),
            ],
            &[
                "services::a -> services::b -> services::c -> services::a",
                "services::a -> services::c -> services::a",
            ],
        ),
        (
            "a module alias used in code",
            &[
                (
                    "graphql/types.rs",
                    "use crate::graphql::loaders; fn f() { loaders::x(); }",
                ),
                (
                    "graphql/loaders.rs",
                    "use crate::graphql; fn g() { graphql::types::T }",
                ),
            ],
            &["graphql::loaders -> graphql::types -> graphql::loaders"],
        ),
        (
            "submodules fold into their area",
            &[
                ("services/requests.rs", "mod submit;"),
                (
                    "services/requests/submit.rs",
                    "use crate::services::approvals::x;",
                ),
                (
                    "services/approvals.rs",
                    "use crate::services::requests::submit::y;",
                ),
            ],
            &["services::approvals -> services::requests -> services::approvals"],
        ),
        (
            "tests, comments and strings do not count",
            &[
                (
                    "services/a.rs",
                    "#[cfg(test)]\nmod tests { use crate::services::b; }\n\
                     // crate::services::b::f()\nconst S: &str = \"crate::services::b::f\";",
                ),
                ("services/b.rs", "use crate::services::a;"),
            ],
            &[],
        ),
        (
            "cycles through services and graphql together, and only those",
            &[
                ("graphql/query.rs", "use crate::services::requests;"),
                ("services/requests.rs", "use crate::graphql::query::Q;"),
                ("jobs.rs", "use crate::services::requests;"),
                ("services/approvals.rs", "use crate::jobs;"),
            ],
            &["graphql::query -> services::requests -> graphql::query"],
        ),
    ];
    for (name, files, expected) in cases {
        assert_eq!(cycle_lines(files), *expected, "case: {name}");
    }
}

#[test]
fn cycle_report_names_the_line_of_each_edge() {
    let report = cycles_of(&[
        ("services/a.rs", "//! A.\n\nuse crate::services::b;"),
        (
            "services/b.rs",
            "//! B.\nfn f() {\n    crate::services::a::g();\n}",
        ),
    ]);
    assert_eq!(
        report,
        [
            "1 cycle(s):",
            "  services::a -> services::b -> services::a",
            "edges:",
            "  services::a -> services::b  (backend/src/services/a.rs:3)",
            "  services::b -> services::a  (backend/src/services/b.rs:3)",
        ]
    );
}
