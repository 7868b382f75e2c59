//! The rules a calendar must keep before an admin may save it, reported all at once with paths
//! into the document, like a definition's problems.
//!
//! The serde shape already refuses what cannot be read (an unknown time zone, `25:00`,
//! `02-30`); these are the rules between values: intervals the right way round and apart,
//! some working time in the week, holidays named and not repeated, and bounds on every list.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::Calendar;
use crate::Problem;

/// Most intervals one day may have. Real days have one to three; the bound keeps the pairwise
/// overlap check and every walk cheap.
pub const MAX_INTERVALS_PER_DAY: usize = 12;
/// Most holidays a calendar may list (a decade of public holidays is about 150).
pub const MAX_HOLIDAYS: usize = 500;
/// Longest holiday name, in characters.
pub const MAX_HOLIDAY_NAME_CHARS: usize = 100;

pub(super) fn validate(calendar: &Calendar) -> Vec<Problem> {
    let mut problems = Vec::new();
    let days = calendar.hours.days();
    if days.iter().all(|(_, intervals)| intervals.is_empty()) {
        problems.push(Problem::new(
            "hours",
            "no working hours: give at least one day an interval, e.g. mon: [09:00-17:00]",
        ));
    }
    for (day, intervals) in days {
        let path = format!("hours.{day}");
        if intervals.len() > MAX_INTERVALS_PER_DAY {
            problems.push(Problem::new(
                path,
                format!("at most {MAX_INTERVALS_PER_DAY} intervals a day"),
            ));
            continue;
        }
        for (index, interval) in intervals.iter().enumerate() {
            let at = format!("{path}[{index}]");
            if interval.start >= interval.end {
                problems.push(Problem::new(
                    at,
                    format!("{interval} must end after it starts"),
                ));
                continue;
            }
            // Reported on the later of two overlapping intervals, naming the earlier one.
            let earlier = intervals[..index].iter().enumerate().find(|(_, other)| {
                other.start < other.end && other.start < interval.end && interval.start < other.end
            });
            if let Some((other_index, other)) = earlier {
                problems.push(Problem::new(
                    at,
                    format!("{interval} overlaps {other} ({path}[{other_index}])"),
                ));
            }
        }
    }

    if calendar.holidays.len() > MAX_HOLIDAYS {
        problems.push(Problem::new(
            "holidays",
            format!("at most {MAX_HOLIDAYS} holidays"),
        ));
        return problems;
    }
    let mut seen = HashMap::new();
    for (index, holiday) in calendar.holidays.iter().enumerate() {
        let path = format!("holidays[{index}]");
        match seen.entry(holiday.date) {
            Entry::Occupied(first) => problems.push(Problem::new(
                format!("{path}.date"),
                format!(
                    "{} is already a holiday (holidays[{}])",
                    holiday.date,
                    first.get()
                ),
            )),
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
        }
        let name = holiday.name.trim();
        if name.is_empty() {
            problems.push(Problem::new(format!("{path}.name"), "must not be empty"));
        } else if name.chars().count() > MAX_HOLIDAY_NAME_CHARS {
            problems.push(Problem::new(
                format!("{path}.name"),
                format!("at most {MAX_HOLIDAY_NAME_CHARS} characters"),
            ));
        }
    }
    problems
}
