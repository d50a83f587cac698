//! Bearer tokens: several at once so they can be rotated, kept only as
//! SHA-256 hashes, compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The accepted tokens, as hashes.
#[derive(Clone, Default)]
pub struct Tokens {
    hashes: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hashes of tokens are still not for logs.
        write!(f, "Tokens({} configured)", self.hashes.len())
    }
}

/// Why a token file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read.
    #[error("cannot read the token file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A `sha256:` line is not 64 hex digits.
    #[error("token file {path}, line {line}: a sha256: line needs 64 hex digits")]
    BadHash {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
    },
    /// A token shorter than 16 characters is too easy to guess.
    #[error("token file {path}, line {line}: tokens must be at least 16 characters")]
    Short {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
    },
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// Tokens given in the clear (hashed at once).
    pub fn from_plain<S: AsRef<str>>(tokens: &[S]) -> Self {
        Tokens {
            hashes: tokens.iter().map(|t| hash(t.as_ref())).collect(),
        }
    }

    /// Reads a token file: one token per line, or `sha256:<hex>` for a token
    /// known only by its hash; blank lines and `#` comments are skipped.
    pub fn from_file(path: &std::path::Path) -> Result<Self, TokenError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TokenError::Io {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown)
    }

    fn parse(text: &str, shown: &str) -> Result<Self, TokenError> {
        let mut hashes = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(hex) = line.strip_prefix("sha256:") {
                hashes.push(parse_hex(hex).ok_or(TokenError::BadHash {
                    path: shown.into(),
                    line: i + 1,
                })?);
            } else if line.len() < 16 {
                return Err(TokenError::Short {
                    path: shown.into(),
                    line: i + 1,
                });
            } else {
                hashes.push(hash(line));
            }
        }
        Ok(Tokens { hashes })
    }

    /// No token configured.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether an `Authorization` header value carries an accepted token.
    /// Every stored hash is compared, so the time taken says nothing about
    /// which one (or how much of one) matched.
    pub fn accepts(&self, authorization: Option<&[u8]>) -> bool {
        let Some(value) = authorization else {
            return false;
        };
        let Some(token) = value
            .strip_prefix(b"Bearer ")
            .or_else(|| value.strip_prefix(b"bearer "))
        else {
            return false;
        };
        let given: [u8; 32] = Sha256::digest(token).into();
        let mut ok = subtle::Choice::from(0);
        for h in &self.hashes {
            ok |= h.ct_eq(&given);
        }
        ok.into()
    }
}

fn parse_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_hashed_tokens_are_accepted_others_not() {
        let hex: String = hash("second-token-0123456789")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let t = Tokens::parse(
            &format!("# rotated monthly\nfirst-token-0123456789\n\nsha256:{hex}\n"),
            "t",
        )
        .unwrap();
        assert!(t.accepts(Some(b"Bearer first-token-0123456789")));
        assert!(t.accepts(Some(b"Bearer second-token-0123456789")));
        assert!(!t.accepts(Some(b"Bearer first-token-012345678")));
        assert!(!t.accepts(Some(b"first-token-0123456789")));
        assert!(!t.accepts(None));
        assert!(!Tokens::default().accepts(Some(b"Bearer x")));
    }

    #[test]
    fn bad_lines_name_the_line() {
        let e = Tokens::parse("ok-token-0123456789\nshort\n", "f").unwrap_err();
        assert_eq!(
            e.to_string(),
            "token file f, line 2: tokens must be at least 16 characters"
        );
        let e = Tokens::parse("sha256:abc", "f").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn debug_shows_no_hash() {
        let t = Tokens::from_plain(&["a-long-enough-token-1"]);
        assert_eq!(format!("{t:?}"), "Tokens(1 configured)");
    }
}
