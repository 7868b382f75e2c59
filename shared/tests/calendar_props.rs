//! Property tests of the calendar arithmetic on random calendars, instants and durations.
//!
//! Calendars are drawn in zones chosen for their awkward changes (30-minute DST on Lord Howe,
//! a +12:45 zone, Havana and Santiago changing at midnight, a zone without DST), instants are
//! drawn both uniformly over three years and (more often) within two days of each zone's offset
//! changes, so every run crosses DST changes many times. Besides the algebra (`add` and
//! `between` are inverse, monotonic, additive), the answers are checked against a definition
//! written independently of the walk: an instant is working time when its wall-clock time, as
//! chrono-tz converts it, is inside one of that weekday's intervals on a date that is not a
//! holiday.

#![cfg(test)]

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use handoff_shared::Calendar;
use handoff_shared::calendar::{
    Holiday, HolidayDate, MonthDay, TimeOfDay, WeeklyHours, WorkingInterval,
};
use proptest::prelude::*;

const ZONES: [Tz; 9] = [
    Tz::UTC,
    Tz::Europe__Berlin,
    Tz::America__New_York,
    Tz::America__Sao_Paulo,
    Tz::America__Havana,
    Tz::America__Santiago,
    Tz::Australia__Lord_Howe,
    Tz::Pacific__Chatham,
    Tz::Asia__Kolkata,
];

const DAY: i64 = 24 * 3600;

/// 2025-01-01T00:00:00Z and 2028-01-01T00:00:00Z: the range instants are drawn from.
const RANGE: (i64, i64) = (1_735_689_600, 1_830_297_600);

fn at(seconds: i64, nanos: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, nanos).unwrap()
}

/// Each zone's offset changes in the range, to the hour: test data found by probing the zone,
/// independently of the code under test.
fn changes(zone: usize) -> &'static [i64] {
    static CHANGES: OnceLock<Vec<Vec<i64>>> = OnceLock::new();
    &CHANGES.get_or_init(|| {
        ZONES
            .iter()
            .map(|zone| {
                let offset = |seconds| {
                    zone.offset_from_utc_datetime(&at(seconds, 0).naive_utc())
                        .to_string()
                };
                (RANGE.0..RANGE.1)
                    .step_by(3600)
                    .filter(|&hour| offset(hour) != offset(hour - 3600))
                    .collect()
            })
            .collect()
    })[zone]
}

/// An instant in the range, or within two days of one of the zone's offset changes.
fn instant(zone: usize) -> BoxedStrategy<DateTime<Utc>> {
    let uniform = (RANGE.0..RANGE.1, 0u32..1000).prop_map(|(s, ms)| at(s, ms * 1_000_000));
    let changes = changes(zone);
    if changes.is_empty() {
        return uniform.boxed();
    }
    let near = (0..changes.len(), -2 * DAY..2 * DAY)
        .prop_map(move |(index, delta)| at(changes[index] + delta, 0));
    prop_oneof![1 => uniform, 2 => near].boxed()
}

fn quarter_hour(quarter: u32) -> TimeOfDay {
    TimeOfDay::new(quarter / 4, quarter % 4 * 15).unwrap()
}

/// A day's intervals: none, the whole day, or up to three disjoint intervals on quarter hours
/// (so that some start or end right at a DST change).
fn day() -> impl Strategy<Value = Vec<WorkingInterval>> {
    let whole = WorkingInterval::new(TimeOfDay::MIDNIGHT, TimeOfDay::END_OF_DAY);
    prop_oneof![
        1 => Just(Vec::new()),
        1 => Just(vec![whole]),
        4 => prop::collection::btree_set(0u32..=96, 0..=6).prop_map(|points| {
            let points: Vec<u32> = points.into_iter().collect();
            points
                .chunks_exact(2)
                .map(|pair| WorkingInterval::new(quarter_hour(pair[0]), quarter_hour(pair[1])))
                .collect()
        }),
    ]
}

fn holiday() -> impl Strategy<Value = Holiday> {
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    prop_oneof![
        (0..3 * 365i64).prop_map(move |n| HolidayDate::Once(first + TimeDelta::days(n))),
        (1..=12u32, 1..=28u32).prop_map(|(m, d)| HolidayDate::Yearly(MonthDay::new(m, d).unwrap())),
    ]
    .prop_map(|date| Holiday::new(date, "Holiday"))
}

/// A valid calendar in `ZONES[zone]`.
fn calendar(zone: usize) -> impl Strategy<Value = Calendar> {
    (
        [day(), day(), day(), day(), day(), day(), day()],
        prop::collection::vec(holiday(), 0..4),
    )
        .prop_map(move |([mon, tue, wed, thu, fri, sat, sun], holidays)| {
            let mut hours = WeeklyHours {
                mon,
                tue,
                wed,
                thu,
                fri,
                sat,
                sun,
            };
            if WeeklyHours::default() == hours {
                hours.wed = vec![WorkingInterval::new(quarter_hour(36), quarter_hour(68))];
            }
            Calendar {
                time_zone: ZONES[zone],
                hours,
                holidays,
            }
        })
}

/// A calendar with three instants drawn for its zone.
fn calendar_and_instants() -> impl Strategy<Value = (Calendar, [DateTime<Utc>; 3])> {
    (0..ZONES.len()).prop_flat_map(|zone| {
        (
            calendar(zone),
            [instant(zone), instant(zone), instant(zone)],
        )
    })
}

/// Up to ten days of working time, to the second.
fn business() -> impl Strategy<Value = TimeDelta> {
    prop_oneof![Just(0), 1..3600i64, 0..10 * DAY].prop_map(TimeDelta::seconds)
}

/// The definition of working time, straight from chrono-tz's conversion to wall-clock time.
fn working_by_definition(calendar: &Calendar, instant: DateTime<Utc>) -> bool {
    let local = instant.with_timezone(&calendar.time_zone).naive_local();
    let date = local.date();
    let second = local.time().num_seconds_from_midnight();
    !calendar.holidays.iter().any(|h| h.date.matches(date))
        && calendar
            .hours
            .day(date.weekday())
            .iter()
            .any(|i| i.start.minutes() * 60 <= second && second < i.end.minutes() * 60)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Failures are reported with their inputs; nothing is written next to the sources.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn between_undoes_add(
        (calendar, [start, _, _]) in calendar_and_instants(),
        amount in business(),
    ) {
        let due = calendar.add(start, amount).unwrap();
        prop_assert!(due >= start);
        prop_assert_eq!(calendar.between(start, due), amount);
    }

    #[test]
    fn add_is_monotonic_in_the_duration(
        (calendar, [start, _, _]) in calendar_and_instants(),
        a in business(),
        b in business(),
    ) {
        let (shorter, longer) = if a <= b { (a, b) } else { (b, a) };
        let (sooner, later) = (calendar.add(start, shorter), calendar.add(start, longer));
        prop_assert!(sooner.unwrap() <= later.unwrap());
    }

    #[test]
    fn between_is_additive((calendar, mut instants) in calendar_and_instants()) {
        instants.sort();
        let [a, b, c] = instants;
        prop_assert_eq!(
            calendar.between(a, b) + calendar.between(b, c),
            calendar.between(a, c)
        );
        prop_assert_eq!(calendar.between(c, a), TimeDelta::zero());
    }

    #[test]
    fn answers_are_working_instants_or_interval_ends(
        (calendar, [start, _, _]) in calendar_and_instants(),
        amount in business(),
    ) {
        let due = calendar.add(start, amount).unwrap();
        let just_before = due - TimeDelta::nanoseconds(1);
        if amount.is_zero() {
            prop_assert!(calendar.is_working(due));
        } else {
            prop_assert!(calendar.is_working(due) || calendar.is_working(just_before));
        }
        prop_assert!(
            working_by_definition(&calendar, due)
                || working_by_definition(&calendar, just_before)
        );
        let next = calendar.next_working_instant(start).unwrap();
        prop_assert!(next >= start);
        prop_assert!(working_by_definition(&calendar, next));
        prop_assert_eq!(calendar.between(start, next), TimeDelta::zero());
        prop_assert_eq!(next == start, calendar.is_working(start));
    }

    #[test]
    fn is_working_follows_the_wall_clock_definition(
        (calendar, instants) in calendar_and_instants(),
    ) {
        for instant in instants {
            prop_assert_eq!(
                calendar.is_working(instant),
                working_by_definition(&calendar, instant)
            );
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Every interval edge, offset and offset change of these zones is on a whole minute, so
    /// counting the working minutes of a range by the definition measures it exactly.
    #[test]
    fn between_counts_the_working_minutes(
        (calendar, [from, _, _]) in calendar_and_instants(),
        length in 0..2 * 24 * 60i64,
    ) {
        let from = at(from.timestamp() / 60 * 60, 0);
        let minutes = (0..length)
            .filter(|m| working_by_definition(&calendar, from + TimeDelta::minutes(*m)))
            .count();
        let minutes = i64::try_from(minutes).unwrap();
        prop_assert_eq!(
            calendar.between(from, from + TimeDelta::minutes(length)),
            TimeDelta::minutes(minutes)
        );
    }
}
