//! A patient's age in whole years on a date, and whether they are a young child whose draw Drawline does not support.

use chrono::{Datelike, NaiveDate};

/// Below this age in years, blood is taken by the paediatric (often capillary) procedure, which
/// Drawline does not support: another order of draw (EDTA first) and microtainers.
pub const PAEDIATRIC_AGE_YEARS: u32 = 2;

/// What the identify screen says for a patient under [`PAEDIATRIC_AGE_YEARS`].
pub const YOUNG_CHILD_WARNING: &str =
    "Capillary and paediatric collection is not supported by Drawline: follow the paediatric procedure";

/// Completed years between `birth` and `on` (the date is passed in, never read from a clock);
/// `None` when `on` is before the birth date. Someone born on 29 February has a birthday on
/// 1 March in common years: on 28 February they are still the younger age.
pub fn age_in_years(birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    if on < birth {
        return None;
    }
    let years = on.year() - birth.year();
    // Comparing (month, day) puts a 29 February birthday after 28 February of a common year.
    let before_birthday = (on.month(), on.day()) < (birth.month(), birth.day());
    u32::try_from(years - i32::from(before_birthday)).ok()
}

/// True when the patient born on `birth` is under 2 years old on `on`, or the birth date is
/// after `on` (a date of birth in the future cannot prove the patient is older).
pub fn is_under_two(birth: NaiveDate, on: NaiveDate) -> bool {
    age_in_years(birth, on).is_none_or(|a| a < PAEDIATRIC_AGE_YEARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_child_is_under_two_until_the_morning_of_the_second_birthday() {
        assert!(is_under_two(d("2024-06-15"), d("2026-06-14")));
        assert!(!is_under_two(d("2024-06-15"), d("2026-06-15")));
        assert!(is_under_two(d("2026-06-15"), d("2026-06-15")), "a newborn");
    }

    #[test]
    fn a_child_born_on_29_february_turns_two_on_1_march_of_a_common_year() {
        let birth = d("2024-02-29");
        assert!(is_under_two(birth, d("2026-02-28")));
        assert!(!is_under_two(birth, d("2026-03-01")));
        assert_eq!(age_in_years(birth, d("2028-02-28")), Some(3));
        assert_eq!(age_in_years(birth, d("2028-02-29")), Some(4));
    }

    #[test]
    fn adults_are_not_under_two_and_a_future_birth_date_has_no_age() {
        assert!(!is_under_two(d("1937-06-30"), d("2026-11-29")));
        assert_eq!(age_in_years(d("1937-06-30"), d("2026-11-29")), Some(89));
        assert_eq!(age_in_years(d("2027-01-01"), d("2026-11-29")), None);
        assert!(is_under_two(d("2027-01-01"), d("2026-11-29")));
    }

    #[test]
    fn the_age_changes_on_the_birthday_across_a_year_end() {
        assert_eq!(age_in_years(d("2024-12-31"), d("2026-12-30")), Some(1));
        assert_eq!(age_in_years(d("2024-12-31"), d("2026-12-31")), Some(2));
        assert_eq!(age_in_years(d("2025-01-01"), d("2026-12-31")), Some(1));
    }
}
