//! The shop's demo users.

/// The demo accounts: `user`/`password` and `user2`/`password2`.
const USERS: [(&str, &str); 2] = [("user", "password"), ("user2", "password2")];

/// Whether `name` and `password` match a demo account (constant-time comparison of the
/// password, so timing does not tell how much of it was right).
pub fn check(name: &str, password: &str) -> bool {
    USERS.iter().any(|(user, expected)| {
        *user == name && constant_time_eq(expected.as_bytes(), password.as_bytes())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_users() {
        assert!(super::check("user", "password"));
        assert!(super::check("user2", "password2"));
        assert!(!super::check("user", "password2"));
        assert!(!super::check("nobody", "password"));
        assert!(!super::check("user", ""));
    }
}
