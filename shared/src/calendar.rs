//! Business calendars: when the working time is, and the arithmetic of SLA clocks on it.
//!
//! A [`Calendar`] is an IANA time zone, weekly working hours (several intervals a day) and
//! holidays, as an admin writes it in YAML or JSON:
//!
//! ```yaml
//! time_zone: Europe/Berlin
//! hours:
//!   mon: [09:00-12:30, 13:30-17:30]
//!   tue: [09:00-12:30, 13:30-17:30]
//!   fri: [09:00-15:00]
//! holidays:
//!   - { date: 2026-12-24, name: Christmas Eve }   # once
//!   - { date: 12-25, name: Christmas Day }        # every year
//! ```
//!
//! Instants are `DateTime<Utc>`; a business duration is a `chrono::Duration` of working time.
//! The functions are pure and total: [`Calendar::add`] (when a target is due),
//! [`Calendar::between`] (how much working time elapsed), [`Calendar::next_working_instant`]
//! and [`Calendar::is_working`]. The server computes due instants with them and the web app may
//! show the same numbers; storing calendars, picking one by key and running clocks belong to
//! the backend, not here.
//!
//! # What counts as working time
//!
//! An instant is working time when its **wall-clock** date and time in the calendar's zone fall
//! in one of that weekday's intervals and the date is not a holiday. Everything else follows
//! from that one definition, so `is_working`, `add` and `between` cannot disagree:
//!
//! - Business time is real elapsed time inside working time, not a difference of wall-clock
//!   readings. A `09:00-17:00` day is 8 hours on any day whose change happens at night (as in
//!   Europe/Berlin, 02:00 and 03:00); a `00:00-24:00` day is 23 hours long on the spring-forward
//!   day and 25 hours on the fall-back day.
//! - **Wall times that do not exist** (the hour skipped in spring) are never working time: an
//!   interval that spans the gap is shorter by the gap (`01:30-02:30` in Berlin on 2026-03-29 is
//!   30 minutes, ending at 03:00 CEST), and one that lies wholly inside it is empty that day.
//!   Nothing is moved to after the gap, which would invent working time nobody agreed to.
//! - **Wall times that happen twice** (the hour repeated in autumn) are working time both
//!   times when they fall in an interval: `01:30-02:30` in Berlin on 2026-10-25 is 90 minutes,
//!   in two pieces. People at work during a repeated hour do work it twice.
//! - A holiday is a local date: it covers that day's wall times, however long the day is.
//!
//! # Termination
//!
//! The walk steps through whole local days (see `walk`), never minutes. A calendar without any
//! working hours ([`Calendar::validate`] refuses it) makes `add` and `next_working_instant`
//! answer [`CalendarError::NoWorkingTime`] at once; one whose holidays close it for more than
//! about two years in a row answers the same after that search, and `between` on it is zero.
//! An `add` whose answer lies more than about a century away answers
//! [`CalendarError::OutOfRange`] instead of walking on.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::Problem;

mod holidays;
mod hours;
mod validate;
mod walk;

pub use holidays::{Holiday, HolidayDate, MonthDay};
pub use hours::{TimeOfDay, WeeklyHours, WorkingInterval};
pub use validate::{MAX_HOLIDAY_NAME_CHARS, MAX_HOLIDAYS, MAX_INTERVALS_PER_DAY};

use walk::Schedule;

/// A business calendar: the time zone its hours are in, the weekly working hours, the holidays.
///
/// Any value can be asked questions, valid or not (an invalid one is read charitably: intervals
/// that do not end after they start are ignored, overlapping ones merged); [`Calendar::validate`]
/// lists what an admin must fix before it is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// The IANA time zone the working hours and holidays are written in (`Europe/Berlin`).
    #[serde(with = "zone")]
    pub time_zone: Tz,
    /// Working intervals per weekday; a day left out has none.
    #[serde(default)]
    pub hours: WeeklyHours,
    /// Days without working time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<Holiday>,
}

/// Why a calendar cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The calendar has no working time at all, or none for about two years after the start
    /// (its holidays close it): nothing would ever be due.
    #[error("the calendar has no working time")]
    NoWorkingTime,
    /// A negative business duration was asked for.
    #[error("a business duration cannot be negative")]
    NegativeDuration,
    /// The answer would lie more than about a century after the start, or beyond the dates
    /// chrono represents.
    #[error("the date is out of range")]
    OutOfRange,
}

impl Calendar {
    /// The key of the built-in calendar in which all time is working time.
    pub const ALWAYS_KEY: &'static str = "24x7";

    /// The built-in `24x7` calendar: every instant is working time (UTC, every day
    /// `00:00-24:00`, no holidays), so business time is elapsed time.
    pub fn always() -> Self {
        let whole_day = WorkingInterval::new(TimeOfDay::MIDNIGHT, TimeOfDay::END_OF_DAY);
        Calendar {
            time_zone: Tz::UTC,
            hours: WeeklyHours::every_day(&[whole_day]),
            holidays: Vec::new(),
        }
    }

    /// Every problem an admin must fix, with paths (`hours.mon[1]`, `holidays[3].date`);
    /// empty when the calendar is valid.
    pub fn validate(&self) -> Vec<Problem> {
        validate::validate(self)
    }

    /// The instant at which `business` working time has elapsed after `start`.
    ///
    /// A start outside working time begins at the next working instant, so a zero duration
    /// answers [`Calendar::next_working_instant`]. The answer may be the end of a working
    /// interval (Friday 09:00 plus 8 hours of `09:00-17:00` is Friday 17:00, not Monday 09:00).
    /// Errors: a negative duration, no working time, or an answer more than about a century
    /// away. The cost grows with the calendar days walked, whole days at a time.
    pub fn add(
        &self,
        start: DateTime<Utc>,
        business: TimeDelta,
    ) -> Result<DateTime<Utc>, CalendarError> {
        Schedule::new(self).add(start, business)
    }

    /// The working time between `from` and `to`; zero when `to` is not after `from`.
    ///
    /// The cost grows with the number of days between the two, not with the time worked.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        Schedule::new(self).between(from, to)
    }

    /// `at` itself when it is working time, else the start of the next working interval.
    pub fn next_working_instant(&self, at: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        Schedule::new(self).next_working_instant(at)
    }

    /// Whether `at` is working time (interval starts included, ends excluded).
    pub fn is_working(&self, at: DateTime<Utc>) -> bool {
        Schedule::new(self).is_working(at)
    }
}

/// The largest calendar source accepted, in bytes: 500 holidays fit with room to spare.
pub const MAX_CALENDAR_BYTES: usize = 64 * 1024;

/// Reads a calendar from YAML or JSON (JSON when the trimmed text starts with `{`), answering
/// the first shape error with its path, as [`parse_definition`](crate::parse_definition) does.
pub fn parse_calendar(src: &str) -> Result<Calendar, Vec<Problem>> {
    if src.len() > MAX_CALENDAR_BYTES {
        return Err(vec![Problem::new(
            "",
            format!(
                "the calendar is {} bytes, at most {MAX_CALENDAR_BYTES} are allowed",
                src.len()
            ),
        )]);
    }
    crate::parse::parse_document(src)
}

/// Reads and validates a calendar: `Ok` only when there is no problem at all. This is what
/// saving a calendar runs.
pub fn check_calendar(src: &str) -> Result<Calendar, Vec<Problem>> {
    let calendar = parse_calendar(src)?;
    let problems = calendar.validate();
    if problems.is_empty() {
        Ok(calendar)
    } else {
        Err(problems)
    }
}

/// The time zone as its IANA name, with a "did you mean" for a misspelt one.
mod zone {
    use chrono_tz::{TZ_VARIANTS, Tz};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(zone: &Tz, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(zone.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(|_| {
            let message = crate::suggest::unknown(
                "time zone",
                &name,
                TZ_VARIANTS.iter().map(|zone| zone.name()),
            );
            serde::de::Error::custom(format!(
                "{message}, expected an IANA name like Europe/Berlin"
            ))
        })
    }
}
