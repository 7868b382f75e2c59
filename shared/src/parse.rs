//! Reading a definition from YAML or JSON text, and the whole publish check.
//!
//! Parsing stops at the first shape error (serde cannot go on after one), located with
//! `serde_path_to_error`; everything past the shape is reported in full by `validate`.

use chrono::Utc;
use serde::de::DeserializeOwned;

use crate::Problem;
use crate::definition::Definition;
use crate::routing::run_definition_tests;
use crate::validate::validate_definition;

/// The largest definition source accepted, in bytes. Real definitions are a few kilobytes;
/// the bound keeps parsing cheap on the server.
pub const MAX_DEFINITION_BYTES: usize = 256 * 1024;

/// Parses a definition: JSON when the trimmed text starts with `{`, YAML otherwise.
pub fn parse_definition(src: &str) -> Result<Definition, Vec<Problem>> {
    if src.len() > MAX_DEFINITION_BYTES {
        return Err(vec![Problem::new(
            "",
            format!(
                "the definition is {} bytes, at most {MAX_DEFINITION_BYTES} are allowed",
                src.len()
            ),
        )]);
    }
    parse_document(src)
}

/// Parses a YAML or JSON document (JSON when the trimmed text starts with `{`) into `T`,
/// answering the first shape error with its path and line. Definitions and calendars are read
/// this way, so both report problems alike.
pub(crate) fn parse_document<T: DeserializeOwned>(src: &str) -> Result<T, Vec<Problem>> {
    if src.trim_start().starts_with('{') {
        let mut deserializer = serde_json::Deserializer::from_str(src);
        let document: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let inner = error.inner();
            let location = (inner.line() > 0).then(|| (inner.line(), inner.column()));
            vec![shape_problem(
                error.path().to_string(),
                strip_location(&inner.to_string()),
                location,
            )]
        })?;
        // Content after the object is an error too, as for any JSON document.
        deserializer.end().map_err(|error| {
            let location = Some((error.line(), error.column()));
            vec![shape_problem(
                String::new(),
                strip_location(&error.to_string()),
                location,
            )]
        })?;
        Ok(document)
    } else {
        let deserializer = serde_norway::Deserializer::from_str(src);
        serde_path_to_error::deserialize::<_, T>(deserializer).map_err(|error| {
            let inner = error.inner();
            let location = inner.location().map(|l| (l.line(), l.column()));
            vec![shape_problem(
                error.path().to_string(),
                strip_location(&inner.to_string()),
                location,
            )]
        })
    }
}

/// Parses, validates and runs the definition's tests (against the current time); `Ok` only
/// when there is no problem at all. This is what publishing runs.
pub fn check_definition(src: &str) -> Result<Definition, Vec<Problem>> {
    let definition = parse_definition(src)?;
    let mut problems = validate_definition(&definition);
    // Tests only mean something on a valid definition: broken expressions would fail them
    // with confusing second-hand messages.
    if problems.is_empty() {
        problems = run_definition_tests(&definition, Utc::now());
    }
    if problems.is_empty() {
        Ok(definition)
    } else {
        Err(problems)
    }
}

fn shape_problem(path: String, message: String, location: Option<(usize, usize)>) -> Problem {
    // serde_path_to_error writes "." for the document root.
    let path = if path == "." { String::new() } else { path };
    // serde_norway prefixes its message with its own (shorter) idea of the path.
    let message = match message.split_once(": ") {
        Some((head, rest)) if !head.is_empty() && path.starts_with(head) => rest.to_owned(),
        _ => message,
    };
    let message = match location {
        Some((line, column)) => format!("{message} (line {line}, column {column})"),
        None => message,
    };
    Problem::new(path, message)
}

/// Both serde_json and serde_norway append their own " at line X column Y"; the location is
/// added back uniformly by `shape_problem`.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}
