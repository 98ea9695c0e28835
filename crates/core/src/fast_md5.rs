//! MD5 as the `md-5` crate's [`Md5`](md5::Md5), with a compression function that runs about
//! 25% faster here. Everything else is the `digest` crate's: the block buffer, padding, the
//! [`Digest`](md5::Digest) API and state serialization, whose bytes are the same as `md-5`'s,
//! so checkpoints saved by either restore in the other (tested).
//!
//! Why hand-written: MD5 is the bound of every verified upload (each byte is hashed on the
//! server and again by Ferry's own client), and one MD5 stream cannot be split across cores.
//! The `md-5` crate's compression ran at 640 MB/s on this project's benchmark machine, OpenSSL's
//! assembly at 790. The difference is in where the round constant is added: LLVM folds it in
//! *after* the round function, on the dependency chain that bounds MD5 (each step needs the
//! step before). [`compress`] hides the constants from constant folding, so they are added
//! to the message word off the chain, and runs at ~800 MB/s (`ferry-bench`'s
//! "MD5 in-process, one core" reference row measures it).

mod compress;

use core::fmt;

use digest::array::Array;
use digest::block_api::{
    AlgorithmName, Block, BlockSizeUser, Buffer, BufferKindUser, Eager, FixedOutputCore,
    OutputSizeUser, Reset, UpdateCore,
};
use digest::common::hazmat::{DeserializeStateError, SerializableState, SerializedState};
use digest::typenum::{U16, U24, U64, Unsigned};
use digest::{HashMarker, Output};

pub use compress::compress;

/// MD5's initial state (RFC 1321, 3.3).
const STATE_INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// The block-level state: what `md-5`'s `Md5Core` holds, in the same serialized form.
#[derive(Clone)]
pub struct Md5Core {
    block_len: u64,
    state: [u32; 4],
}

impl HashMarker for Md5Core {}

impl BlockSizeUser for Md5Core {
    type BlockSize = U64;
}

impl BufferKindUser for Md5Core {
    type BufferKind = Eager;
}

impl OutputSizeUser for Md5Core {
    type OutputSize = U16;
}

impl UpdateCore for Md5Core {
    #[inline]
    fn update_blocks(&mut self, blocks: &[Block<Self>]) {
        self.block_len = self.block_len.wrapping_add(blocks.len() as u64);
        compress(&mut self.state, Array::cast_slice_to_core(blocks));
    }
}

impl FixedOutputCore for Md5Core {
    #[inline]
    fn finalize_fixed_core(&mut self, buffer: &mut Buffer<Self>, out: &mut Output<Self>) {
        let bit_len = self
            .block_len
            .wrapping_mul(Self::BlockSize::U64)
            .wrapping_add(buffer.get_pos() as u64)
            .wrapping_mul(8);
        let mut s = self.state;
        buffer.len64_padding_le(bit_len, |b| compress(&mut s, &[b.0]));
        for (chunk, v) in out.chunks_exact_mut(4).zip(s.iter()) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
    }
}

impl Default for Md5Core {
    fn default() -> Self {
        Md5Core {
            block_len: 0,
            state: STATE_INIT,
        }
    }
}

impl Reset for Md5Core {
    fn reset(&mut self) {
        *self = Md5Core::default();
    }
}

impl AlgorithmName for Md5Core {
    fn write_alg_name(f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Md5")
    }
}

impl fmt::Debug for Md5Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Md5Core { ... }")
    }
}

impl SerializableState for Md5Core {
    type SerializedStateSize = U24;

    fn serialize(&self) -> SerializedState<Self> {
        let mut out = SerializedState::<Self>::default();
        for (v, chunk) in self.state.iter().zip(out.chunks_exact_mut(4)) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        out[16..].copy_from_slice(&self.block_len.to_le_bytes());
        out
    }

    fn deserialize(serialized: &SerializedState<Self>) -> Result<Self, DeserializeStateError> {
        let (words, block_len) = serialized.split::<U16>();
        let mut state = [0; 4];
        for (v, chunk) in state.iter_mut().zip(words.chunks_exact(4)) {
            *v = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Ok(Md5Core {
            state,
            block_len: u64::from_le_bytes(block_len.0),
        })
    }
}

digest::buffer_fixed!(
    /// An MD5 hasher: `md5::Md5`'s API and serialized state, [`compress`]'s speed.
    pub struct Md5(Md5Core);
    impl: BaseFixedTraits AlgorithmName Default Clone HashMarker Reset FixedOutputReset SerializableState;
);

#[cfg(test)]
mod tests;
