//! Federal working days: Monday to Friday, except the eleven federal public holidays
//! (5 U.S.C. 6103) and the days they are observed on (a Saturday holiday is observed the
//! Friday before, a Sunday holiday the Monday after).
//!
//! Interstate timeframes (45 CFR 303.7) and e-IWO acknowledgments are counted in working
//! days; a deadline computed in calendar days would fall on a Saturday or on Thanksgiving.

use time::{Date, Duration, Month, Weekday};

/// The n-th `weekday` of `month` (n from 1).
fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let offset = (7 + weekday.number_days_from_monday() as i64
        - first.weekday().number_days_from_monday() as i64)
        % 7;
    first.checked_add(Duration::days(offset + 7 * (i64::from(n) - 1)))
}

/// The last `weekday` of `month`.
fn last_weekday(year: i32, month: Month, weekday: Weekday) -> Option<Date> {
    let next_month_first = match month {
        Month::December => Date::from_calendar_date(year + 1, Month::January, 1).ok()?,
        _ => Date::from_calendar_date(year, month.next(), 1).ok()?,
    };
    let last = next_month_first.previous_day()?;
    let back = (7 + last.weekday().number_days_from_monday() as i64
        - weekday.number_days_from_monday() as i64)
        % 7;
    last.checked_sub(Duration::days(back))
}

/// The day a fixed-date holiday is observed on.
fn observed(date: Date) -> Date {
    match date.weekday() {
        Weekday::Saturday => date.previous_day().unwrap_or(date),
        Weekday::Sunday => date.next_day().unwrap_or(date),
        _ => date,
    }
}

/// The observed federal holidays of `year`.
pub fn federal_holidays(year: i32) -> Vec<Date> {
    let fixed = |month: Month, day: u8| {
        Date::from_calendar_date(year, month, day)
            .ok()
            .map(observed)
    };
    let mut days: Vec<Date> = [
        fixed(Month::January, 1),                                 // New Year's Day
        nth_weekday(year, Month::January, Weekday::Monday, 3), // Birthday of Martin Luther King, Jr.
        nth_weekday(year, Month::February, Weekday::Monday, 3), // Washington's Birthday
        last_weekday(year, Month::May, Weekday::Monday),       // Memorial Day
        fixed(Month::June, 19),                                // Juneteenth
        fixed(Month::July, 4),                                 // Independence Day
        nth_weekday(year, Month::September, Weekday::Monday, 1), // Labor Day
        nth_weekday(year, Month::October, Weekday::Monday, 2), // Columbus Day
        fixed(Month::November, 11),                            // Veterans Day
        nth_weekday(year, Month::November, Weekday::Thursday, 4), // Thanksgiving Day
        fixed(Month::December, 25),                            // Christmas Day
    ]
    .into_iter()
    .flatten()
    .filter(|d| d.year() == year)
    .collect();
    // New Year's Day of the next year may be observed on 31 December of this one.
    if let Some(next_new_year) = Date::from_calendar_date(year + 1, Month::January, 1)
        .ok()
        .map(observed)
        && next_new_year.year() == year
    {
        days.push(next_new_year);
    }
    days.sort();
    days
}

/// True for a Monday-to-Friday day that is not an observed federal holiday.
pub fn is_working_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
        && !federal_holidays(date.year()).contains(&date)
}

/// The date `days` working days after `from` (`from` itself does not count: a request
/// received on Monday with 1 working day to answer is due on Tuesday).
pub fn add_working_days(from: Date, days: u32) -> Date {
    let mut date = from;
    let mut left = days;
    while left > 0 {
        match date.next_day() {
            Some(next) => date = next,
            None => return date,
        }
        if is_working_day(date) {
            left -= 1;
        }
    }
    date
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_federal_holidays_of_2026_fall_where_opm_lists_them() {
        assert_eq!(
            federal_holidays(2026),
            vec![
                date!(2026 - 01 - 01),
                date!(2026 - 01 - 19),
                date!(2026 - 02 - 16),
                date!(2026 - 05 - 25),
                date!(2026 - 06 - 19),
                date!(2026 - 07 - 03), // 4 July is a Saturday
                date!(2026 - 09 - 07),
                date!(2026 - 10 - 12),
                date!(2026 - 11 - 11),
                date!(2026 - 11 - 26),
                date!(2026 - 12 - 25),
            ]
        );
    }

    #[test]
    fn a_sunday_holiday_is_observed_on_monday_and_new_year_can_fall_in_december() {
        // Christmas 2022 was a Sunday.
        assert!(federal_holidays(2022).contains(&date!(2022 - 12 - 26)));
        // 1 January 2022 was a Saturday: observed Friday 31 December 2021.
        assert!(federal_holidays(2021).contains(&date!(2021 - 12 - 31)));
        assert!(!is_working_day(date!(2021 - 12 - 31)));
    }

    #[test]
    fn ten_working_days_skip_weekends_and_thanksgiving() {
        // Friday 20 November 2026 + 10 working days: Thanksgiving (26th) does not count.
        assert_eq!(
            add_working_days(date!(2026 - 11 - 20), 10),
            date!(2026 - 12 - 07)
        );
        // A request received on a Saturday: the count starts on Monday.
        assert_eq!(
            add_working_days(date!(2026 - 11 - 28), 1),
            date!(2026 - 11 - 30)
        );
        assert_eq!(
            add_working_days(date!(2026 - 11 - 30), 0),
            date!(2026 - 11 - 30)
        );
    }

    #[test]
    fn weekends_are_not_working_days() {
        assert!(!is_working_day(date!(2026 - 11 - 28)));
        assert!(!is_working_day(date!(2026 - 11 - 29)));
        assert!(is_working_day(date!(2026 - 11 - 30)));
    }
}
