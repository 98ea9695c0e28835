//! Against RFC 1321's test suite and against the `md-5` crate: the same digests for every
//! length and every way of feeding the bytes, and the same serialized state at every point.

use digest::common::hazmat::SerializableState;
use md5::Digest;

use super::Md5;

/// Bytes that are not a repeating pattern (a linear congruential generator).
fn bytes(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn rfc_1321_test_suite() {
    let suite = [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        (
            "abcdefghijklmnopqrstuvwxyz",
            "c3fcd3d76192e4007dfb496cca67e13b",
        ),
        (
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "d174ab98d277d9f5a5611c2c9f419d9f",
        ),
        (
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
            "57edf4a22be3c955ac49da2e2107b67a",
        ),
    ];
    for (input, want) in suite {
        assert_eq!(
            hex::encode(Md5::digest(input.as_bytes())),
            want,
            "{input:?}"
        );
    }
}

#[test]
fn the_same_digest_as_md5_for_every_length_and_split() {
    for len in (0..300).chain([4095, 4096, 4097, 65_536 + 13, 1 << 20]) {
        let data = bytes(len, len as u32);
        let want = md5::Md5::digest(&data);
        assert_eq!(Md5::digest(&data), want, "length {len}");
        for split in [0, 1, 55, 56, 63, 64, 65, len / 2, len.saturating_sub(1)] {
            let split = split.min(len);
            let mut h = Md5::new();
            h.update(&data[..split]);
            h.update(&data[split..]);
            assert_eq!(h.finalize(), want, "length {len} split at {split}");
        }
    }
}

#[test]
fn serialized_states_are_md5s_both_ways() {
    let data = bytes(10_000, 7);
    for at in [0, 1, 63, 64, 65, 1000, 4096, 9_999] {
        let mut ours = Md5::new();
        let mut theirs = md5::Md5::new();
        ours.update(&data[..at]);
        theirs.update(&data[..at]);
        let (s_ours, s_theirs) = (ours.serialize(), theirs.serialize());
        assert_eq!(
            s_ours.as_slice(),
            s_theirs.as_slice(),
            "state after {at} bytes"
        );
        // A checkpoint saved by either goes on in the other.
        let mut resumed = Md5::deserialize(s_theirs.as_slice().try_into().unwrap()).unwrap();
        resumed.update(&data[at..]);
        assert_eq!(
            resumed.finalize(),
            md5::Md5::digest(&data),
            "resumed at {at}"
        );
        let mut back = md5::Md5::deserialize(s_ours.as_slice().try_into().unwrap()).unwrap();
        back.update(&data[at..]);
        assert_eq!(
            back.finalize(),
            md5::Md5::digest(&data),
            "given back at {at}"
        );
    }
}
