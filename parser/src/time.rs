//! Timestamps: every input writes them its own way; the report writes RFC 3339 in UTC.

/// Normalizes an ISO 8601 / RFC 3339 timestamp with `Z` or an offset to UTC
/// (`2024-05-01T08:00:00.5+02:00` becomes `2024-05-01T06:00:00.5Z`). A value
/// that does not parse is returned as it was, trimmed: a strange time is still evidence.
pub fn normalize_timestamp(s: &str) -> String {
    let t = s.trim();
    match t.parse::<jiff::Timestamp>() {
        Ok(ts) => ts.to_string(),
        Err(_) => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_timestamp as n;

    #[test]
    fn offsets_become_utc() {
        assert_eq!(n("2024-05-01T10:00:00.000Z"), "2024-05-01T10:00:00Z");
        assert_eq!(
            n("2024-05-01T12:00:00.250+02:00"),
            "2024-05-01T10:00:00.25Z"
        );
        assert_eq!(n(" not a time "), "not a time");
    }
}
