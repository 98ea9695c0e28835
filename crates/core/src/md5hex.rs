//! [`Md5Digest`]: an MD5 value, parsed from and shown as 32 lowercase hex digits.

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

/// `Display` as lowercase hex of the 16 bytes, and serde through that text and the type's
/// own `parse` (so a JSON value is checked exactly like a header or a frame field). Shared
/// with [`crate::UploadId`], which has the same 16-byte hex form but its own parse rules.
macro_rules! hex_text {
    ($t:ty) => {
        impl $t {
            /// The 32 hex digits, on the stack (a listing shows one per entry).
            fn hex_digits(&self) -> [u8; 32] {
                let mut out = [0u8; 32];
                hex::encode_to_slice(self.0, &mut out).expect("32 digits for 16 bytes");
                out
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let digits = self.hex_digits();
                f.write_str(std::str::from_utf8(&digits).expect("hex is ASCII"))
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                let digits = self.hex_digits();
                s.serialize_str(std::str::from_utf8(&digits).expect("hex is ASCII"))
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$t>::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use hex_text;

hex_text!(Md5Digest);
