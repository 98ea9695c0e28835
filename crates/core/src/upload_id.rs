//! [`UploadId`]: 128 random bits, written as 32 lowercase hex digits.

use crate::{Error, Result};

/// Identifies one upload across connections, doors and restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UploadId([u8; 16]);

impl UploadId {
    /// A fresh random id.
    pub fn random() -> Result<Self> {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).map_err(|e| Error::internal(e.to_string()))?;
        Ok(UploadId(b))
    }

    /// Parses the hex form; anything else is `upload_not_found` (an id that cannot exist).
    pub fn parse(s: &str) -> Result<Self> {
        let mut b = [0u8; 16];
        if s.len() != 32 || s.bytes().any(|c| c.is_ascii_uppercase()) {
            return Err(Error::UploadNotFound(s.chars().take(40).collect()));
        }
        hex::decode_to_slice(s, &mut b)
            .map_err(|_| Error::UploadNotFound(s.chars().take(40).collect()))?;
        Ok(UploadId(b))
    }

    /// The `upload_not_found` answer for this id: unknown, another user's, or finished or
    /// cancelled meanwhile (the answers are the same so that ids cannot be probed).
    pub fn not_found(&self) -> Error {
        Error::UploadNotFound(self.to_string())
    }
}

crate::md5hex::hex_text!(UploadId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_spellings() {
        let id = UploadId::random().unwrap();
        assert_eq!(UploadId::parse(&id.to_string()).unwrap(), id);
        for bad in [
            "",
            "../x",
            &"A".repeat(32),
            &"g".repeat(32),
            &"0".repeat(31),
        ] {
            assert_eq!(UploadId::parse(bad).unwrap_err().code(), "upload_not_found");
        }
    }
}
