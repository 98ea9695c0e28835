//! [`Md5Digest`]: an MD5 value, parsed from and shown as 32 lowercase hex digits.

use std::fmt;

use crate::{Error, Result};

/// A whole-file MD5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Md5Digest(pub [u8; 16]);

impl Md5Digest {
    /// Parses 32 hex digits (either case).
    pub fn parse(s: &str) -> Result<Self> {
        let mut b = [0u8; 16];
        hex::decode_to_slice(s, &mut b)
            .map_err(|_| Error::BadRequest("md5 must be 32 hexadecimal digits".into()))?;
        Ok(Md5Digest(b))
    }
}

impl fmt::Display for Md5Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl serde::Serialize for Md5Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Md5Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Md5Digest::parse(&s).map_err(serde::de::Error::custom)
    }
}
