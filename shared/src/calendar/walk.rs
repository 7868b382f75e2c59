//! The walk behind every calendar question: working time as spans of UTC instants, produced in
//! order by stepping through the time line one *chunk* at a time.
//!
//! A chunk is a stretch of UTC instants that share one UTC offset and one local date: it starts
//! where the previous one ended and ends at the next local midnight or at the next offset
//! change, whichever comes first. Inside a chunk, local time is UTC plus a constant, so the
//! day's working intervals map to UTC by subtracting the offset and clipping to the chunk. That
//! is what makes the walk exact across DST changes without any special case: on a spring-forward
//! day the chunk before the change ends at the change and the chunk after it starts at the new
//! wall time, so skipped wall times are never visited; on a fall-back day the repeated wall
//! times belong to both chunks, so they are visited (and counted) twice. Chunks are whole days
//! (or parts of one), never minutes, so adding 30 business days visits about 42 chunks.
//!
//! Offset changes are found by probing the offset at the chunk's last second and, when it
//! differs, bisecting to the second (the time zone database changes offsets on whole seconds).
//! One probe suffices because no two offset changes in the database are within a day of each
//! other: the closest pair in the tzdb that `chrono-tz` 0.10 ships is a week apart (Brazil in
//! 2000, and Gaza's predicted future rules). Were that ever to change, the walk would
//! mis-place working time inside such a day, but it would still terminate.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::holidays::{HolidayDate, MonthDay};
use super::hours::WorkingInterval;
use super::{Calendar, CalendarError};

/// The most chunks in a row (about local days) searched without finding working time before
/// `add` and `next_working_instant` give up with [`CalendarError::NoWorkingTime`].
///
/// Validation refuses a week without working hours, but holidays can still close a calendar
/// (every month-day a yearly holiday). Two years is far past any real closure, and the bound
/// keeps such a calendar from looping; it costs at most a millisecond or so.
pub(super) const MAX_CLOSED_DAYS: u32 = 2 * 366;

/// The most chunks one `add` walks (about a century) before answering
/// [`CalendarError::OutOfRange`]: SLA targets are at most ten years, even on a calendar with a
/// quarter of an hour a week that is far less than a century, and the bound keeps an absurd
/// duration from occupying the server (a century is a few tens of milliseconds).
pub(super) const MAX_WALK_DAYS: u32 = 100 * 366;

/// Seconds in a day of wall-clock time.
const DAY: i64 = 24 * 60 * 60;

/// What a calendar looks like as a whole, for the shortcuts that skip the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// Every wall time of every day is working time and there is no holiday: every instant is
    /// working time, whatever the time zone does.
    Always,
    /// No weekday has working time: no instant ever is.
    Never,
    /// Anything else: walk.
    Hours,
}

/// A calendar prepared for walking: each weekday's intervals as sorted, disjoint pairs of
/// seconds from local midnight, and the holidays sorted for binary search.
///
/// The maths is defined on any calendar, valid or not, by reading it charitably: intervals that
/// do not end after they start are ignored and overlapping ones are merged, so an invalid
/// calendar never double-counts or loops. [`Calendar::validate`] says what is wrong with it.
pub(super) struct Schedule {
    zone: Tz,
    /// Indexed by `Weekday::num_days_from_monday`.
    week: [Vec<(i64, i64)>; 7],
    once: Vec<NaiveDate>,
    yearly: Vec<MonthDay>,
}

/// One chunk of the time line (see the module documentation).
struct Chunk {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Local time minus UTC, in seconds, throughout the chunk.
    offset: i64,
    /// The local date throughout the chunk.
    date: NaiveDate,
}

impl Schedule {
    pub(super) fn new(calendar: &Calendar) -> Self {
        let week = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .map(|weekday| normalise(calendar.hours.day(weekday)));
        let mut once = Vec::new();
        let mut yearly = Vec::new();
        for holiday in &calendar.holidays {
            match holiday.date {
                HolidayDate::Once(date) => once.push(date),
                HolidayDate::Yearly(month_day) => yearly.push(month_day),
            }
        }
        once.sort_unstable();
        yearly.sort_unstable();
        Schedule {
            zone: calendar.time_zone,
            week,
            once,
            yearly,
        }
    }

    pub(super) fn shape(&self) -> Shape {
        if self.week.iter().all(Vec::is_empty) {
            Shape::Never
        } else if self.once.is_empty()
            && self.yearly.is_empty()
            && self.week.iter().all(|day| day.as_slice() == [(0, DAY)])
        {
            Shape::Always
        } else {
            Shape::Hours
        }
    }

    pub(super) fn is_working(&self, at: DateTime<Utc>) -> bool {
        match self.shape() {
            Shape::Always => true,
            Shape::Never => false,
            // Spans are clipped to the chunk, which starts at `at`: a span containing `at`
            // starts there.
            Shape::Hours => self.chunk(at).is_ok_and(|chunk| {
                self.spans(&chunk)
                    .next()
                    .is_some_and(|(from, _)| from == at)
            }),
        }
    }

    pub(super) fn next_working_instant(
        &self,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, CalendarError> {
        self.add(at, TimeDelta::zero())
    }

    pub(super) fn add(
        &self,
        start: DateTime<Utc>,
        amount: TimeDelta,
    ) -> Result<DateTime<Utc>, CalendarError> {
        if amount < TimeDelta::zero() {
            return Err(CalendarError::NegativeDuration);
        }
        match self.shape() {
            Shape::Always => {
                return start
                    .checked_add_signed(amount)
                    .ok_or(CalendarError::OutOfRange);
            }
            Shape::Never => return Err(CalendarError::NoWorkingTime),
            Shape::Hours => {}
        }
        let mut remaining = amount;
        let mut cursor = start;
        let mut closed = 0;
        for _ in 0..MAX_WALK_DAYS {
            let chunk = self.chunk(cursor)?;
            let mut worked = false;
            for (from, to) in self.spans(&chunk) {
                let length = to - from;
                // `<=`: the answer may be the very end of a span (09:00 plus 8 hours is 17:00
                // the same day, not 09:00 the next working day), and a zero amount answers the
                // start of the first span, the next working instant.
                if remaining <= length {
                    return from
                        .checked_add_signed(remaining)
                        .ok_or(CalendarError::OutOfRange);
                }
                remaining -= length;
                worked = true;
            }
            closed = if worked { 0 } else { closed + 1 };
            if closed > MAX_CLOSED_DAYS {
                return Err(CalendarError::NoWorkingTime);
            }
            cursor = chunk.end;
        }
        Err(CalendarError::OutOfRange)
    }

    pub(super) fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        if to <= from {
            return TimeDelta::zero();
        }
        match self.shape() {
            Shape::Always => return to - from,
            Shape::Never => return TimeDelta::zero(),
            Shape::Hours => {}
        }
        let mut total = TimeDelta::zero();
        let mut cursor = from;
        while cursor < to {
            // Only a range reaching the ends of chrono's dates (year 262143) fails here; the
            // time counted up to there is the answer.
            let Ok(chunk) = self.chunk(cursor) else { break };
            for (start, end) in self.spans(&chunk) {
                if start >= to {
                    break;
                }
                total += end.min(to) - start;
            }
            cursor = chunk.end;
        }
        total
    }

    /// Local time minus UTC at `at`, in seconds.
    fn offset_at(&self, at: DateTime<Utc>) -> i64 {
        i64::from(
            self.zone
                .offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    }

    /// The offset at the whole second `seconds` after the epoch (`None` outside chrono's range).
    fn offset_at_second(&self, seconds: i64) -> Option<i64> {
        DateTime::from_timestamp(seconds, 0).map(|at| self.offset_at(at))
    }

    /// The chunk that starts at `at`.
    fn chunk(&self, at: DateTime<Utc>) -> Result<Chunk, CalendarError> {
        let offset = self.offset_at(at);
        let shift = TimeDelta::seconds(offset);
        let local = at
            .naive_utc()
            .checked_add_signed(shift)
            .ok_or(CalendarError::OutOfRange)?;
        let date = local.date();
        let next_midnight = date
            .succ_opt()
            .ok_or(CalendarError::OutOfRange)?
            .and_time(NaiveTime::MIN);
        let mut end = next_midnight
            .checked_sub_signed(shift)
            .ok_or(CalendarError::OutOfRange)?
            .and_utc();
        // `end` is a whole second and `at` is before it. Offsets change on whole seconds, so
        // the offset at `at` is the offset at its whole second, and the first second with
        // another offset, if any, is found by bisection between the two.
        let mut last = end.timestamp() - 1;
        if self.offset_at_second(last) != Some(offset) {
            let mut same = at.timestamp();
            while last - same > 1 {
                let middle = same + (last - same) / 2;
                if self.offset_at_second(middle) == Some(offset) {
                    same = middle;
                } else {
                    last = middle;
                }
            }
            end = DateTime::from_timestamp(last, 0).ok_or(CalendarError::OutOfRange)?;
        }
        Ok(Chunk {
            start: at,
            end,
            offset,
            date,
        })
    }

    fn is_holiday(&self, date: NaiveDate) -> bool {
        self.once.binary_search(&date).is_ok()
            || self.yearly.binary_search(&MonthDay::of(date)).is_ok()
    }

    /// The working spans inside `chunk`, in order, each `[start, end)` and non-empty.
    fn spans<'s>(
        &'s self,
        chunk: &'s Chunk,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + 's {
        let intervals: &[(i64, i64)] = if self.is_holiday(chunk.date) {
            &[]
        } else {
            &self.week[weekday_index(chunk.date)]
        };
        // The chunk's local midnight as a UTC instant under the chunk's offset; it may lie
        // outside the chunk (before a fall-back change, the same wall time came earlier).
        let midnight = chunk
            .date
            .and_time(NaiveTime::MIN)
            .checked_sub_signed(TimeDelta::seconds(chunk.offset))
            .map(|naive| naive.and_utc());
        intervals.iter().filter_map(move |&(from, to)| {
            let midnight = midnight?;
            let start = midnight
                .checked_add_signed(TimeDelta::seconds(from))?
                .max(chunk.start);
            let end = midnight
                .checked_add_signed(TimeDelta::seconds(to))?
                .min(chunk.end);
            (start < end).then_some((start, end))
        })
    }
}

fn weekday_index(date: NaiveDate) -> usize {
    // 0 to 6, so the cast cannot truncate.
    date.weekday().num_days_from_monday() as usize
}

/// A day's intervals as sorted, disjoint `(start, end)` seconds: inverted or empty intervals
/// dropped, overlapping or touching ones merged.
fn normalise(intervals: &[WorkingInterval]) -> Vec<(i64, i64)> {
    let mut pairs: Vec<(i64, i64)> = intervals
        .iter()
        .filter(|interval| interval.start < interval.end)
        .map(|interval| (interval.start.seconds(), interval.end.seconds()))
        .collect();
    pairs.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(pairs.len());
    for (start, end) in pairs {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::TimeOfDay;

    fn interval(start: u32, end: u32) -> WorkingInterval {
        WorkingInterval::new(
            TimeOfDay::new(start, 0).unwrap(),
            TimeOfDay::new(end, 0).unwrap(),
        )
    }

    #[test]
    fn normalising_merges_overlaps_and_drops_inverted_intervals() {
        let intervals = [
            interval(13, 17),
            interval(9, 12),
            interval(11, 14),
            interval(18, 18),
            interval(20, 19),
            interval(17, 18),
        ];
        assert_eq!(normalise(&intervals), [(9 * 3600, 18 * 3600)]);
    }

    #[test]
    fn a_chunk_ends_at_local_midnight_or_at_an_offset_change() {
        let calendar = Calendar {
            time_zone: chrono_tz::Europe::Berlin,
            ..Calendar::always()
        };
        let schedule = Schedule::new(&calendar);
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        // An ordinary day: from 10:00 CET to the next local midnight, 23:00 UTC.
        let chunk = schedule.chunk(at("2026-03-27T09:00:00Z")).unwrap();
        assert_eq!(chunk.end, at("2026-03-27T23:00:00Z"));
        // The spring-forward day: the chunk ends at 02:00 CET = 01:00 UTC, the next one starts
        // at 03:00 CEST on the same local date and ends at midnight CEST, 22:00 UTC.
        let chunk = schedule.chunk(at("2026-03-28T23:00:00Z")).unwrap();
        assert_eq!(chunk.end, at("2026-03-29T01:00:00Z"));
        let next = schedule.chunk(chunk.end).unwrap();
        assert_eq!((next.date, next.offset), (chunk.date, 7200));
        assert_eq!(next.end, at("2026-03-29T22:00:00Z"));
    }
}
