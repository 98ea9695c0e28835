//! Structured property tests: random frames, encoded back to back, cut at random points and
//! fed to one decoder piece by piece, come out equal; arbitrary bytes never panic it.

use super::*;
use proptest::prelude::*;
use proptest::sample::Index;

fn key() -> impl Strategy<Value = String> {
    prop_oneof![Just("len".to_string()), "[a-z_]{0,10}", any::<String>()]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Dyadic fractions print and parse back exactly.
        (-1_000_000i32..1_000_000).prop_map(|n| Value::from(f64::from(n) / 8.0)),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A header may hold "len" anywhere below the top level, never at it (the codec owns it).
fn frame() -> impl Strategy<Value = Frame> {
    let header = prop::collection::btree_map(key(), json_value(), 0..8).prop_map(|m| {
        m.into_iter()
            .filter(|(k, _)| k != "len")
            .collect::<Header>()
    });
    let payload = prop::collection::vec(any::<u8>(), 0..4096);
    (header, payload).prop_map(|(h, p)| Frame::with_payload(h, Bytes::from(p)))
}

fn feed_in_pieces(
    codec: &mut FrameCodec,
    bytes: &[u8],
    cuts: &[Index],
) -> Result<Vec<Frame>, FrameError> {
    let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
    cuts.push(bytes.len());
    cuts.sort_unstable();
    let (mut src, mut out, mut from) = (BytesMut::new(), Vec::new(), 0);
    for to in cuts {
        src.extend_from_slice(&bytes[from..to]);
        from = to;
        while let Some(frame) = codec.decode(&mut src)? {
            out.push(frame);
        }
    }
    assert!(src.is_empty(), "{} bytes left undecoded", src.len());
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frames_survive_encoding_and_arbitrary_splitting(
        frames in prop::collection::vec(frame(), 1..6),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
    ) {
        let mut bytes = BytesMut::new();
        for f in &frames {
            encode_frame(&f.header, &f.payload, &mut bytes).unwrap();
        }
        let decoded = feed_in_pieces(&mut FrameCodec::default(), &bytes, &cuts).unwrap();
        prop_assert_eq!(&decoded, &frames);

        let mut again = BytesMut::new();
        for f in &decoded {
            encode_frame(&f.header, &f.payload, &mut again).unwrap();
        }
        prop_assert_eq!(again, bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        cuts in prop::collection::vec(any::<Index>(), 0..6),
    ) {
        let limits = FrameLimits { max_header: 256, max_payload: 256 };
        let mut codec = FrameCodec::new(limits);
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        cuts.push(bytes.len());
        cuts.sort_unstable();
        let (mut src, mut from) = (BytesMut::new(), 0);
        'feed: for to in cuts {
            src.extend_from_slice(&bytes[from..to]);
            from = to;
            loop {
                match codec.decode(&mut src) {
                    Ok(Some(f)) => prop_assert!(f.payload.len() <= limits.max_payload),
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
        }
    }
}
