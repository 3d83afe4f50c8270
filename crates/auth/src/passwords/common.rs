//! The offline list of common and breached passwords (see `data/common-passwords/README.md`
//! for provenance and licences): Django's 19,640 and zxcvbn's 30,000, 40,101 distinct.

use std::collections::HashSet;
use std::sync::LazyLock;

static DJANGO: &str = include_str!("../../data/common-passwords/django.txt");
static ZXCVBN: &str = include_str!("../../data/common-passwords/zxcvbn.txt");

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    DJANGO
        .lines()
        .chain(ZXCVBN.lines())
        .filter(|l| !l.is_empty())
        .collect()
});

/// Whether the password is on the list (compared lower case, as the lists are).
pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

/// How many distinct passwords the list holds.
pub fn common_password_count() -> usize {
    COMMON.len()
}
