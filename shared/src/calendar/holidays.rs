//! Holidays: named dates on which a calendar has no working time, once (`2026-12-24`) or every
//! year (`12-25`).
//!
//! A holiday is a date in the calendar's own time zone: it covers that local day, whatever
//! the working hours say. There is no rule language (no "first Monday of May", no Easter, no
//! "observed on Monday when it falls on a Sunday"): such days differ between countries and
//! years, and an admin writes them as one-off dates, which is what people check against
//! the official list anyway.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A named holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// When it is.
    pub date: HolidayDate,
    /// What it is called (`Christmas Day`), shown to people next to the date.
    pub name: String,
}

impl Holiday {
    /// A holiday called `name` on `date`.
    pub fn new(date: HolidayDate, name: impl Into<String>) -> Self {
        Holiday {
            date,
            name: name.into(),
        }
    }
}

/// When a holiday is: one date, or a month and day that recur every year.
///
/// Written `2026-12-24` (once) or `12-25` (every year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HolidayDate {
    /// This one date.
    Once(NaiveDate),
    /// This month and day in every year (`02-29` only in leap years).
    Yearly(MonthDay),
}

impl HolidayDate {
    /// Whether the holiday falls on the local date `date`.
    pub fn matches(self, date: NaiveDate) -> bool {
        match self {
            HolidayDate::Once(once) => once == date,
            HolidayDate::Yearly(month_day) => month_day == MonthDay::of(date),
        }
    }
}

impl fmt::Display for HolidayDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HolidayDate::Once(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            HolidayDate::Yearly(month_day) => month_day.fmt(f),
        }
    }
}

impl FromStr for HolidayDate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || {
            format!(
                "invalid holiday date \"{text}\" \
                 (expected YYYY-MM-DD for one day, or MM-DD for every year)"
            )
        };
        let numbers: Vec<&str> = text.split('-').collect();
        let number = |part: &str, len: usize| -> Result<u32, String> {
            if part.len() == len && part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().map_err(|_| invalid())
            } else {
                Err(invalid())
            }
        };
        match numbers.as_slice() {
            [year, month, day] => {
                let year = i32::try_from(number(year, 4)?).map_err(|_| invalid())?;
                NaiveDate::from_ymd_opt(year, number(month, 2)?, number(day, 2)?)
                    .map(HolidayDate::Once)
                    .ok_or_else(invalid)
            }
            [month, day] => MonthDay::new(number(month, 2)?, number(day, 2)?)
                .map(HolidayDate::Yearly)
                .ok_or_else(invalid),
            _ => Err(invalid()),
        }
    }
}

impl Serialize for HolidayDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HolidayDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A month and a day that exist together in some year (`02-29` does, `02-30` does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u32,
    day: u32,
}

impl MonthDay {
    /// The month (1 to 12) and day, when that day exists in that month in some year.
    pub fn new(month: u32, day: u32) -> Option<Self> {
        // 2000 is a leap year, so February 29th is accepted.
        NaiveDate::from_ymd_opt(2000, month, day).map(|_| MonthDay { month, day })
    }

    /// The month and day of a date.
    pub fn of(date: NaiveDate) -> Self {
        MonthDay {
            month: date.month(),
            day: date.day(),
        }
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u32 {
        self.day
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}
