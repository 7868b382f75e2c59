//! Weekly working hours as an admin writes them: per weekday, a list of `HH:MM-HH:MM` intervals
//! in the calendar's wall-clock time.
//!
//! The types make a time outside the day unrepresentable (`TimeOfDay` is `00:00` to `24:00`);
//! whether an interval is the right way round and whether a day's intervals overlap are rules of
//! [`Calendar::validate`](super::Calendar::validate), because code may build intervals by hand
//! and the problems should come back all at once, with paths, like a definition's.

use std::fmt;
use std::str::FromStr;

use chrono::Weekday;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A time of day on the working-hours clock, in whole minutes from midnight, from `00:00` to
/// `24:00` (the end of the day, so that `18:00-24:00` can be written).
///
/// Minutes are the finest unit on purpose: working hours are agreed in minutes, and seconds in
/// an admin's file would only be typos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// `00:00`.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    /// `24:00`, the end of the day.
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(24 * 60);

    /// The time `hour:minute`, when it is on the clock (`24:00` is, `24:01` and `12:60` are not).
    pub fn new(hour: u32, minute: u32) -> Option<Self> {
        if minute >= 60 || hour > 24 || (hour == 24 && minute > 0) {
            return None;
        }
        u16::try_from(hour * 60 + minute).ok().map(TimeOfDay)
    }

    /// Minutes since midnight, `0..=1440`.
    pub fn minutes(self) -> u32 {
        u32::from(self.0)
    }

    /// Seconds since midnight, `0..=86400`.
    pub(super) fn seconds(self) -> i64 {
        i64::from(self.0) * 60
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl FromStr for TimeOfDay {
    type Err = String;

    /// `H:MM` or `HH:MM`; minutes always take two digits.
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("invalid time \"{text}\" (expected HH:MM from 00:00 to 24:00)");
        let (hour, minute) = text.split_once(':').ok_or_else(invalid)?;
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(hour) || hour.len() > 2 || !digits(minute) || minute.len() != 2 {
            return Err(invalid());
        }
        let hour = hour.parse().map_err(|_| invalid())?;
        let minute = minute.parse().map_err(|_| invalid())?;
        TimeOfDay::new(hour, minute).ok_or_else(invalid)
    }
}

/// One working interval of a day, `start` included and `end` excluded, in wall-clock time.
///
/// Written `09:00-12:30`. A valid interval has `start < end`; `24:00` may only end one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WorkingInterval {
    /// When work starts.
    pub start: TimeOfDay,
    /// When it stops (excluded: at `17:00` of `09:00-17:00` it is no longer working time).
    pub end: TimeOfDay,
}

impl WorkingInterval {
    /// The interval from `start` to `end`.
    pub fn new(start: TimeOfDay, end: TimeOfDay) -> Self {
        WorkingInterval { start, end }
    }
}

impl fmt::Display for WorkingInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl FromStr for WorkingInterval {
    type Err = String;

    /// `09:00-12:30`, spaces around the dash allowed.
    fn from_str(text: &str) -> Result<Self, String> {
        let (start, end) = text.split_once('-').ok_or_else(|| {
            format!("invalid working hours \"{text}\" (expected e.g. 09:00-17:30)")
        })?;
        Ok(WorkingInterval {
            start: start.trim().parse()?,
            end: end.trim().parse()?,
        })
    }
}

impl Serialize for WorkingInterval {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WorkingInterval {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Working intervals per weekday. A day left out (or empty) has no working time.
///
/// ```yaml
/// mon: [09:00-12:30, 13:30-17:30]
/// fri: [09:00-15:00]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    /// Monday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<WorkingInterval>,
    /// Tuesday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<WorkingInterval>,
    /// Wednesday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<WorkingInterval>,
    /// Thursday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<WorkingInterval>,
    /// Friday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<WorkingInterval>,
    /// Saturday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<WorkingInterval>,
    /// Sunday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<WorkingInterval>,
}

impl WeeklyHours {
    /// The same intervals on Monday to Friday, none at the weekend.
    pub fn weekdays(intervals: &[WorkingInterval]) -> Self {
        WeeklyHours {
            mon: intervals.to_vec(),
            tue: intervals.to_vec(),
            wed: intervals.to_vec(),
            thu: intervals.to_vec(),
            fri: intervals.to_vec(),
            ..WeeklyHours::default()
        }
    }

    /// The same intervals on every day of the week.
    pub fn every_day(intervals: &[WorkingInterval]) -> Self {
        WeeklyHours {
            sat: intervals.to_vec(),
            sun: intervals.to_vec(),
            ..WeeklyHours::weekdays(intervals)
        }
    }

    /// The intervals of one weekday, as written.
    pub fn day(&self, weekday: Weekday) -> &[WorkingInterval] {
        match weekday {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    /// The weekdays with their keys (`mon` ...), Monday first: the order of validation paths.
    pub(super) fn days(&self) -> [(&'static str, &[WorkingInterval]); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}
