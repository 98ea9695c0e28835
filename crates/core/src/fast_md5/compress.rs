//! The MD5 compression function (RFC 1321, 3.4), arranged for the dependency chain.
//!
//! Each step is `a = b + ((a + F(b, c, d) + m + k) <<< s)`, and each needs the one before
//! through `b`, so MD5 runs at the latency of that chain. Only `F(b, ..)`, one addition, the
//! rotation and the last addition need be on it: `a + m + k` can be ready earlier. Left to
//! itself LLVM turns `k` into an immediate added after `F`, one more cycle per step. Reading
//! the constants through [`std::hint::black_box`] keeps them out of constant folding, so
//! they join `a + m` off the chain. The round functions use the usual shortcuts: `G` adds
//! its two disjoint halves instead of or-ing them (one half does not depend on `b`), and `F`
//! is `d ^ (b & (c ^ d))`.

/// The round constants `floor(abs(sin(i + 1)) * 2^32)`.
const RC: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

#[inline(always)]
fn f(pre: u32, b: u32, c: u32, d: u32) -> u32 {
    pre.wrapping_add(((c ^ d) & b) ^ d)
}

#[inline(always)]
fn g(pre: u32, b: u32, c: u32, d: u32) -> u32 {
    pre.wrapping_add(c & !d).wrapping_add(b & d)
}

#[inline(always)]
fn h(pre: u32, b: u32, c: u32, d: u32) -> u32 {
    pre.wrapping_add(b ^ (c ^ d))
}

#[inline(always)]
fn i(pre: u32, b: u32, c: u32, d: u32) -> u32 {
    pre.wrapping_add(c ^ (b | !d))
}

/// One step: `a = b + ((a + m + k + round(b, c, d)) <<< s)`.
macro_rules! step {
    ($round:ident, $a:ident, $b:ident, $c:ident, $d:ident, $m:expr, $k:expr, $s:expr) => {
        $a = $round($a.wrapping_add($m).wrapping_add($k), $b, $c, $d)
            .rotate_left($s)
            .wrapping_add($b);
    };
}

/// Runs MD5's compression over `blocks`, in order.
pub fn compress(state: &mut [u32; 4], blocks: &[[u8; 64]]) {
    let [mut a0, mut b0, mut c0, mut d0] = *state;
    for block in blocks {
        let mut x = [0u32; 16];
        for (word, bytes) in x.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let k: &[u32; 64] = std::hint::black_box(&RC);
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);

        step!(f, a, b, c, d, x[0], k[0], 7);
        step!(f, d, a, b, c, x[1], k[1], 12);
        step!(f, c, d, a, b, x[2], k[2], 17);
        step!(f, b, c, d, a, x[3], k[3], 22);
        step!(f, a, b, c, d, x[4], k[4], 7);
        step!(f, d, a, b, c, x[5], k[5], 12);
        step!(f, c, d, a, b, x[6], k[6], 17);
        step!(f, b, c, d, a, x[7], k[7], 22);
        step!(f, a, b, c, d, x[8], k[8], 7);
        step!(f, d, a, b, c, x[9], k[9], 12);
        step!(f, c, d, a, b, x[10], k[10], 17);
        step!(f, b, c, d, a, x[11], k[11], 22);
        step!(f, a, b, c, d, x[12], k[12], 7);
        step!(f, d, a, b, c, x[13], k[13], 12);
        step!(f, c, d, a, b, x[14], k[14], 17);
        step!(f, b, c, d, a, x[15], k[15], 22);

        step!(g, a, b, c, d, x[1], k[16], 5);
        step!(g, d, a, b, c, x[6], k[17], 9);
        step!(g, c, d, a, b, x[11], k[18], 14);
        step!(g, b, c, d, a, x[0], k[19], 20);
        step!(g, a, b, c, d, x[5], k[20], 5);
        step!(g, d, a, b, c, x[10], k[21], 9);
        step!(g, c, d, a, b, x[15], k[22], 14);
        step!(g, b, c, d, a, x[4], k[23], 20);
        step!(g, a, b, c, d, x[9], k[24], 5);
        step!(g, d, a, b, c, x[14], k[25], 9);
        step!(g, c, d, a, b, x[3], k[26], 14);
        step!(g, b, c, d, a, x[8], k[27], 20);
        step!(g, a, b, c, d, x[13], k[28], 5);
        step!(g, d, a, b, c, x[2], k[29], 9);
        step!(g, c, d, a, b, x[7], k[30], 14);
        step!(g, b, c, d, a, x[12], k[31], 20);

        step!(h, a, b, c, d, x[5], k[32], 4);
        step!(h, d, a, b, c, x[8], k[33], 11);
        step!(h, c, d, a, b, x[11], k[34], 16);
        step!(h, b, c, d, a, x[14], k[35], 23);
        step!(h, a, b, c, d, x[1], k[36], 4);
        step!(h, d, a, b, c, x[4], k[37], 11);
        step!(h, c, d, a, b, x[7], k[38], 16);
        step!(h, b, c, d, a, x[10], k[39], 23);
        step!(h, a, b, c, d, x[13], k[40], 4);
        step!(h, d, a, b, c, x[0], k[41], 11);
        step!(h, c, d, a, b, x[3], k[42], 16);
        step!(h, b, c, d, a, x[6], k[43], 23);
        step!(h, a, b, c, d, x[9], k[44], 4);
        step!(h, d, a, b, c, x[12], k[45], 11);
        step!(h, c, d, a, b, x[15], k[46], 16);
        step!(h, b, c, d, a, x[2], k[47], 23);

        step!(i, a, b, c, d, x[0], k[48], 6);
        step!(i, d, a, b, c, x[7], k[49], 10);
        step!(i, c, d, a, b, x[14], k[50], 15);
        step!(i, b, c, d, a, x[5], k[51], 21);
        step!(i, a, b, c, d, x[12], k[52], 6);
        step!(i, d, a, b, c, x[3], k[53], 10);
        step!(i, c, d, a, b, x[10], k[54], 15);
        step!(i, b, c, d, a, x[1], k[55], 21);
        step!(i, a, b, c, d, x[8], k[56], 6);
        step!(i, d, a, b, c, x[15], k[57], 10);
        step!(i, c, d, a, b, x[6], k[58], 15);
        step!(i, b, c, d, a, x[13], k[59], 21);
        step!(i, a, b, c, d, x[4], k[60], 6);
        step!(i, d, a, b, c, x[11], k[61], 10);
        step!(i, c, d, a, b, x[2], k[62], 15);
        step!(i, b, c, d, a, x[9], k[63], 21);

        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    *state = [a0, b0, c0, d0];
}
