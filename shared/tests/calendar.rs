//! Worked examples of the business calendar: due instants and elapsed working time across
//! weekends, holidays, DST changes and split days, the `24x7` calendar, validation problems
//! and the admin-facing YAML/JSON shape.

#![cfg(test)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use handoff_shared::calendar::{Holiday, HolidayDate, MonthDay};
use handoff_shared::{Calendar, CalendarError, check_calendar, parse_calendar};

/// A calendar from its YAML source (the shape admins write).
fn calendar(yaml: &str) -> Calendar {
    parse_calendar(yaml).unwrap()
}

/// Monday to Friday, 09:00-17:00, Europe/Berlin.
fn office() -> Calendar {
    calendar(
        "
time_zone: Europe/Berlin
hours:
  mon: [09:00-17:00]
  tue: [09:00-17:00]
  wed: [09:00-17:00]
  thu: [09:00-17:00]
  fri: [09:00-17:00]
",
    )
}

/// Monday to Friday with a lunch break: 09:00-12:30 and 13:30-17:30, Europe/Berlin.
fn split_days() -> Calendar {
    calendar(
        "
time_zone: Europe/Berlin
hours:
  mon: [09:00-12:30, 13:30-17:30]
  tue: [09:00-12:30, 13:30-17:30]
  wed: [09:00-12:30, 13:30-17:30]
  thu: [09:00-12:30, 13:30-17:30]
  fri: [09:00-12:30, 13:30-17:30]
",
    )
}

/// Every day with the same intervals, Europe/Berlin: to look at DST-change Sundays.
fn every_day(interval: &str) -> Calendar {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .map(|day| format!("  {day}: [{interval}]\n"))
        .concat();
    calendar(&format!("time_zone: Europe/Berlin\nhours:\n{days}"))
}

/// The instant of a Berlin wall-clock time (which must exist and be unambiguous).
fn berlin(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Berlin
        .with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn hours(n: i64) -> TimeDelta {
    TimeDelta::hours(n)
}

fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

/// Five 8-hour business days.
fn five_days() -> TimeDelta {
    hours(5 * 8)
}

#[test]
fn five_business_days_from_friday_afternoon_skip_the_weekend() {
    let cal = office();
    // Friday 2 h, Monday to Thursday 32 h, Friday 6 h.
    let start = berlin(2026, 6, 5, 15, 0);
    let due = berlin(2026, 6, 12, 15, 0);
    assert_eq!(cal.add(start, five_days()), Ok(due));
    assert_eq!(cal.between(start, due), five_days());
    // The weekend itself is worth nothing.
    assert_eq!(
        cal.between(berlin(2026, 6, 5, 17, 0), berlin(2026, 6, 8, 9, 0)),
        TimeDelta::zero()
    );
}

#[test]
fn holidays_once_and_yearly_are_skipped() {
    let mut cal = office();
    cal.holidays = vec![
        Holiday::new(
            HolidayDate::Once(chrono::NaiveDate::from_ymd_opt(2026, 5, 14).unwrap()),
            "Ascension Day",
        ),
        Holiday::new(
            HolidayDate::Once("2026-12-24".parse().unwrap()),
            "Christmas Eve",
        ),
        Holiday::new(
            HolidayDate::Yearly(MonthDay::new(12, 25).unwrap()),
            "Christmas Day",
        ),
    ];
    // Thursday 14 May is a holiday: the five days end on Monday instead of Friday.
    let start = berlin(2026, 5, 8, 15, 0);
    assert_eq!(cal.add(start, five_days()), Ok(berlin(2026, 5, 18, 15, 0)));
    assert_eq!(cal.between(start, berlin(2026, 5, 18, 15, 0)), five_days());
    // Wednesday 23 December 10:00 plus 16 hours: 7 h that day, then Thursday (once) and
    // Friday (yearly) are holidays, 8 h on Monday 28th, 1 h on Tuesday 29th.
    let start = berlin(2026, 12, 23, 10, 0);
    assert_eq!(cal.add(start, hours(16)), Ok(berlin(2026, 12, 29, 10, 0)));
    // The yearly holiday recurs; the one-off does not.
    assert!(!cal.is_working(berlin(2025, 12, 25, 10, 0)));
    assert!(cal.is_working(berlin(2025, 12, 24, 10, 0)));
    assert!(!cal.is_working(berlin(2026, 12, 24, 10, 0)));
}

#[test]
fn five_business_days_across_the_march_dst_change() {
    let cal = office();
    // Berlin goes from CET to CEST on Sunday 2026-03-29: the due wall time is unchanged and
    // only 7 days minus 1 hour of real time pass.
    let start = berlin(2026, 3, 27, 15, 0);
    let due = berlin(2026, 4, 3, 15, 0);
    assert_eq!(start, utc("2026-03-27T14:00:00Z"));
    assert_eq!(due, utc("2026-04-03T13:00:00Z"));
    assert_eq!(cal.add(start, five_days()), Ok(due));
    assert_eq!(cal.between(start, due), five_days());
}

#[test]
fn five_business_days_across_the_october_dst_change() {
    let cal = office();
    // Back to CET on Sunday 2026-10-25: 7 days plus 1 hour of real time.
    let start = berlin(2026, 10, 23, 15, 0);
    let due = berlin(2026, 10, 30, 15, 0);
    assert_eq!(start, utc("2026-10-23T13:00:00Z"));
    assert_eq!(due, utc("2026-10-30T14:00:00Z"));
    assert_eq!(cal.add(start, five_days()), Ok(due));
    assert_eq!(cal.between(start, due), five_days());
}

#[test]
fn a_working_day_on_a_dst_change_day_keeps_its_wall_clock_hours() {
    let cal = every_day("09:00-17:00");
    for (day, nine_utc) in [(29, "2026-03-29T07:00:00Z"), (25, "2026-10-25T08:00:00Z")] {
        let month = if day == 29 { 3 } else { 10 };
        let nine = berlin(2026, month, day, 9, 0);
        assert_eq!(nine, utc(nine_utc));
        assert_eq!(
            cal.next_working_instant(berlin(2026, month, day, 1, 0)),
            Ok(nine)
        );
        assert_eq!(cal.add(nine, hours(8)), Ok(berlin(2026, month, day, 17, 0)));
        assert_eq!(
            cal.between(
                berlin(2026, month, day - 1, 17, 0),
                berlin(2026, month, day, 17, 0)
            ),
            hours(8)
        );
    }
}

#[test]
fn a_whole_day_lasts_23_hours_in_spring_and_25_in_autumn() {
    let cal = every_day("00:00-24:00");
    let day = |month, from, to| {
        cal.between(
            berlin(2026, month, from, 0, 0),
            berlin(2026, month, to, 0, 0),
        )
    };
    assert_eq!(day(3, 29, 30), hours(23));
    assert_eq!(day(10, 25, 26), hours(25));
    assert_eq!(day(6, 1, 2), hours(24));
}

#[test]
fn skipped_wall_times_are_never_working_time() {
    // 02:00 to 03:00 does not exist in Berlin on 2026-03-29.
    let cal = every_day("01:30-02:30");
    let midnight = berlin(2026, 3, 29, 0, 0);
    // Only 01:30-02:00 CET is left of the interval that day; it ends at the gap, 03:00 CEST.
    assert_eq!(
        cal.between(midnight, berlin(2026, 3, 30, 0, 0)),
        minutes(30)
    );
    assert_eq!(
        cal.add(midnight, minutes(30)),
        Ok(utc("2026-03-29T01:00:00Z"))
    );
    assert_eq!(berlin(2026, 3, 29, 3, 0), utc("2026-03-29T01:00:00Z"));
    // The rest of the time comes from the next day's interval.
    assert_eq!(
        cal.add(midnight, minutes(45)),
        Ok(berlin(2026, 3, 30, 1, 45))
    );
    // An interval wholly inside the gap is empty that day.
    let cal = every_day("02:00-03:00");
    assert_eq!(
        cal.between(midnight, berlin(2026, 3, 30, 0, 0)),
        TimeDelta::zero()
    );
    assert_eq!(
        cal.next_working_instant(midnight),
        Ok(berlin(2026, 3, 30, 2, 0))
    );
}

#[test]
fn repeated_wall_times_are_working_time_both_times() {
    // 02:00 to 03:00 happens twice in Berlin on 2026-10-25: 00:00-01:00 UTC in CEST, then
    // 01:00-02:00 UTC in CET.
    let cal = every_day("01:30-02:30");
    let midnight = berlin(2026, 10, 25, 0, 0);
    assert_eq!(
        cal.between(midnight, berlin(2026, 10, 26, 0, 0)),
        minutes(90)
    );
    // 01:30-02:30 CEST, then 02:00-02:30 CET.
    assert!(cal.is_working(utc("2026-10-24T23:30:00Z")));
    assert!(cal.is_working(utc("2026-10-25T00:15:00Z")));
    assert!(!cal.is_working(utc("2026-10-25T00:45:00Z")));
    assert!(cal.is_working(utc("2026-10-25T01:15:00Z")));
    assert!(!cal.is_working(utc("2026-10-25T01:30:00Z")));
    assert_eq!(
        cal.add(midnight, minutes(75)),
        Ok(utc("2026-10-25T01:15:00Z"))
    );
    assert_eq!(
        cal.add(midnight, minutes(60)),
        Ok(utc("2026-10-25T00:30:00Z"))
    );
    assert_eq!(
        cal.next_working_instant(utc("2026-10-25T00:30:00Z")),
        Ok(utc("2026-10-25T01:00:00Z"))
    );
}

#[test]
fn split_days_skip_the_lunch_break() {
    let cal = split_days();
    let monday = |hour, minute| berlin(2026, 6, 8, hour, minute);
    // 11:00 to 12:30 is 1.5 h, the remaining 2.5 h run from 13:30.
    assert_eq!(cal.add(monday(11, 0), hours(4)), Ok(monday(16, 0)));
    assert_eq!(cal.between(monday(11, 0), monday(16, 0)), hours(4));
    assert_eq!(cal.between(monday(9, 0), monday(17, 30)), minutes(450));
    // A morning's work ends at the end of the morning, not after lunch.
    assert_eq!(cal.add(monday(9, 0), minutes(210)), Ok(monday(12, 30)));
    // Five business days of 7.5 hours from Friday 15:00: 2.5 h that Friday, 30 h from Monday
    // to Thursday, then 3.5 h and 1.5 h on the next Friday.
    let start = berlin(2026, 6, 5, 15, 0);
    let due = berlin(2026, 6, 12, 15, 0);
    assert_eq!(cal.add(start, minutes(5 * 450)), Ok(due));
    assert_eq!(cal.between(start, due), minutes(5 * 450));
}

#[test]
fn a_start_inside_the_lunch_break_begins_after_it() {
    let cal = split_days();
    let monday = |hour, minute| berlin(2026, 6, 8, hour, minute);
    assert!(!cal.is_working(monday(13, 0)));
    assert!(!cal.is_working(monday(12, 30)), "ends are excluded");
    assert!(cal.is_working(monday(13, 30)), "starts are included");
    assert_eq!(cal.next_working_instant(monday(13, 0)), Ok(monday(13, 30)));
    assert_eq!(cal.add(monday(13, 0), hours(1)), Ok(monday(14, 30)));
    assert_eq!(
        cal.add(monday(13, 0), TimeDelta::zero()),
        Ok(monday(13, 30))
    );
    assert_eq!(
        cal.between(monday(12, 45), monday(13, 30)),
        TimeDelta::zero()
    );
}

#[test]
fn a_start_outside_working_time_begins_at_the_next_working_instant() {
    let cal = office();
    let saturday = berlin(2026, 6, 6, 11, 0);
    let monday_nine = berlin(2026, 6, 8, 9, 0);
    assert_eq!(cal.next_working_instant(saturday), Ok(monday_nine));
    assert_eq!(cal.add(saturday, hours(1)), Ok(berlin(2026, 6, 8, 10, 0)));
    // A working instant is its own next working instant.
    assert_eq!(cal.next_working_instant(monday_nine), Ok(monday_nine));
}

#[test]
fn thirty_business_days_walk_whole_days() {
    let cal = office();
    // Six weeks of five 8-hour days from a Monday morning end on the sixth Friday at 17:00.
    let start = berlin(2026, 1, 5, 9, 0);
    assert_eq!(
        cal.add(start, hours(30 * 8)),
        Ok(berlin(2026, 2, 13, 17, 0))
    );
    // Ten years of business time (the longest SLA target) still answers, in whole days.
    let due = cal.add(start, TimeDelta::days(3660)).unwrap();
    assert_eq!(cal.between(start, due), TimeDelta::days(3660));
}

#[test]
fn the_24x7_calendar_counts_elapsed_time() {
    let cal = Calendar::always();
    assert_eq!(Calendar::ALWAYS_KEY, "24x7");
    assert!(cal.validate().is_empty());
    let start = utc("2026-03-28T22:17:05.25Z");
    assert!(cal.is_working(start));
    assert_eq!(cal.next_working_instant(start), Ok(start));
    assert_eq!(cal.add(start, hours(50)), Ok(start + hours(50)));
    assert_eq!(cal.between(start, start + hours(50)), hours(50));
    assert_eq!(cal.between(start + hours(1), start), TimeDelta::zero());
    // All day every day in a zone with DST is the same thing.
    let berlin_always = Calendar {
        time_zone: Berlin,
        ..Calendar::always()
    };
    assert_eq!(
        berlin_always.between(start, start + TimeDelta::days(400)),
        TimeDelta::days(400)
    );
}

#[test]
fn a_calendar_without_working_time_answers_an_error_instead_of_looping() {
    let closed = calendar("time_zone: Europe/Berlin\n");
    let start = berlin(2026, 6, 8, 9, 0);
    assert_eq!(
        closed.add(start, hours(1)),
        Err(CalendarError::NoWorkingTime)
    );
    assert_eq!(
        closed.next_working_instant(start),
        Err(CalendarError::NoWorkingTime)
    );
    assert_eq!(closed.between(start, start + hours(100)), TimeDelta::zero());
    assert!(!closed.is_working(start));
    // Working hours, but every day of the year a holiday: the search gives up after a bound.
    let mut all_holidays = office();
    all_holidays.holidays = (1..=12)
        .flat_map(|month| (1..=31).filter_map(move |day| MonthDay::new(month, day)))
        .map(|day| Holiday::new(HolidayDate::Yearly(day), "Closed"))
        .collect();
    assert_eq!(
        all_holidays.add(start, hours(1)),
        Err(CalendarError::NoWorkingTime)
    );
}

#[test]
fn an_answer_more_than_a_century_away_is_out_of_range() {
    // A quarter of an hour a week: ten years of business time would take 350,000 weeks.
    let sparse = calendar("time_zone: UTC\nhours: { mon: [09:00-09:15] }\n");
    let start = utc("2026-06-08T00:00:00Z");
    assert_eq!(
        sparse.add(start, TimeDelta::days(3650)),
        Err(CalendarError::OutOfRange)
    );
    // 99 years of Mondays are 5,165 quarter hours.
    assert!(sparse.add(start, minutes(5000 * 15)).is_ok());
}

#[test]
fn a_negative_business_duration_is_an_error() {
    assert_eq!(
        office().add(berlin(2026, 6, 8, 9, 0), hours(-1)),
        Err(CalendarError::NegativeDuration)
    );
}

#[test]
fn overlapping_intervals_of_an_invalid_calendar_are_not_counted_twice() {
    let cal = calendar("time_zone: UTC\nhours: { mon: [09:00-12:00, 11:00-13:00] }\n");
    assert!(!cal.validate().is_empty());
    let monday = utc("2026-06-08T00:00:00Z");
    assert_eq!(cal.between(monday, monday + hours(24)), hours(4));
}

/// The problems of a calendar source (the shape error, or every validation problem), as
/// `path: message` lines.
fn problems(source: &str) -> Vec<String> {
    match check_calendar(source) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn validation_reports_every_problem_with_its_path() {
    let cases: &[(&str, &[&str])] = &[
        (
            "time_zone: Europe/Berlin\nhours: { mon: [09:00-17:00] }\n",
            &[],
        ),
        (
            "time_zone: Europe/Berlin\n",
            &[
                "hours: no working hours: give at least one day an interval, e.g. mon: [09:00-17:00]",
            ],
        ),
        (
            "time_zone: UTC\nhours: { mon: [09:00-17:00], tue: [17:00-09:00, 10:00-10:00] }\n",
            &[
                "hours.tue[0]: 17:00-09:00 must end after it starts",
                "hours.tue[1]: 10:00-10:00 must end after it starts",
            ],
        ),
        (
            "time_zone: UTC\nhours: { wed: [13:00-17:00, 09:00-13:30, 12:00-12:30] }\n",
            &[
                "hours.wed[1]: 09:00-13:30 overlaps 13:00-17:00 (hours.wed[0])",
                "hours.wed[2]: 12:00-12:30 overlaps 09:00-13:30 (hours.wed[1])",
            ],
        ),
        (
            "time_zone: UTC\nhours: { fri: [09:00-12:00, 12:00-24:00] }\n",
            &[],
        ),
        (
            "time_zone: UTC
hours: { mon: [09:00-17:00] }
holidays:
  - { date: 12-25, name: Christmas Day }
  - { date: 2026-12-24, name: '  ' }
  - { date: 12-25, name: Christmas }
",
            &[
                "holidays[1].name: must not be empty",
                "holidays[2].date: 12-25 is already a holiday (holidays[0])",
            ],
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(problems(source), *expected, "{source}");
    }
}

#[test]
fn lists_are_bounded() {
    let day: Vec<String> = (0..13).map(|h| format!("{h:02}:00-{h:02}:30")).collect();
    let source = format!("time_zone: UTC\nhours: {{ mon: [{}] }}\n", day.join(", "));
    assert_eq!(problems(&source), ["hours.mon: at most 12 intervals a day"]);
    let mut cal = office();
    cal.holidays = (0..=500)
        .map(|n| {
            let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + TimeDelta::days(n);
            Holiday::new(HolidayDate::Once(date), "Closed")
        })
        .collect();
    assert_eq!(
        cal.validate()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["holidays: at most 500 holidays"]
    );
}

#[test]
fn what_cannot_be_read_is_a_shape_error_with_its_path() {
    let cases = [
        (
            "time_zone: Europe/Berln\n",
            r#"time_zone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?), expected an IANA name like Europe/Berlin (line 1, column 1)"#,
        ),
        (
            "time_zone: UTC\nhours: { mon: [09:00-25:00] }\n",
            r#"hours.mon[0]: invalid time "25:00" (expected HH:MM from 00:00 to 24:00) (line 2, column 15)"#,
        ),
        (
            "time_zone: UTC\nhours: { mon: [9-5] }\n",
            r#"hours.mon[0]: invalid time "9" (expected HH:MM from 00:00 to 24:00) (line 2, column 15)"#,
        ),
        (
            "time_zone: UTC\nhours: { mon: ['09:00'] }\n",
            r#"hours.mon[0]: invalid working hours "09:00" (expected e.g. 09:00-17:30) (line 2, column 15)"#,
        ),
        (
            "time_zone: UTC\nholidays: [{ date: 02-30, name: Never }]\n",
            r#"holidays[0].date: invalid holiday date "02-30" (expected YYYY-MM-DD for one day, or MM-DD for every year) (line 2, column 12)"#,
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(problems(source), [expected], "{source}");
    }
    assert!(
        problems("time_zone: UTC\nhours: { monday: [09:00-17:00] }\n")[0]
            .starts_with("hours.monday: unknown field `monday`")
    );
}

#[test]
fn yaml_and_json_read_the_same_calendar_and_it_round_trips() {
    let yaml = calendar(
        "
time_zone: Europe/Berlin
hours:
  mon: [09:00-12:30, 13:30-17:30]
  fri: [9:00 - 15:00]
holidays:
  - { date: 2026-12-24, name: Christmas Eve }
  - { date: 12-25, name: Christmas Day }
  - { date: 02-29, name: Leap day }
",
    );
    let json: Calendar = serde_json::from_str(
        r#"{"time_zone": "Europe/Berlin",
            "hours": {"mon": ["09:00-12:30", "13:30-17:30"], "fri": ["09:00-15:00"]},
            "holidays": [{"date": "2026-12-24", "name": "Christmas Eve"},
                         {"date": "12-25", "name": "Christmas Day"},
                         {"date": "02-29", "name": "Leap day"}]}"#,
    )
    .unwrap();
    assert_eq!(yaml, json);
    let written = serde_json::to_value(&yaml).unwrap();
    assert_eq!(
        written,
        serde_json::json!({
            "time_zone": "Europe/Berlin",
            "hours": {"mon": ["09:00-12:30", "13:30-17:30"], "fri": ["09:00-15:00"]},
            "holidays": [{"date": "2026-12-24", "name": "Christmas Eve"},
                         {"date": "12-25", "name": "Christmas Day"},
                         {"date": "02-29", "name": "Leap day"}]
        })
    );
    let back: Calendar = serde_norway::from_str(&serde_norway::to_string(&yaml).unwrap()).unwrap();
    assert_eq!(back, yaml);
    let always = serde_json::to_value(Calendar::always()).unwrap();
    assert_eq!(always["hours"]["sun"], serde_json::json!(["00:00-24:00"]));
}
