//! Qt's `QDataStream` as Telegram Desktop uses it (`Qt_5_1`): big-endian integers, byte arrays
//! as a 32-bit length and the bytes, the length `0xFFFFFFFF` for a null array (spec/tdata.md §2).

use super::error::TdataErrorKind;

/// The length a null `QByteArray` is written with.
pub(super) const NULL_ARRAY: u32 = u32::MAX;

/// A reader over a stream's bytes that never reads past their end: a read that would is a
/// [`TdataErrorKind::Truncated`] naming what was read and where. No `Debug`: the bytes it
/// reads include decrypted keys.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// The offset of the next byte to read.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub(super) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `n` bytes.
    pub(super) fn take(
        &mut self,
        n: usize,
        what: &'static str,
    ) -> Result<&'a [u8], TdataErrorKind> {
        if n > self.remaining() {
            return Err(TdataErrorKind::Truncated {
                what,
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            });
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], TdataErrorKind> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub(super) fn u32(&mut self, what: &'static str) -> Result<u32, TdataErrorKind> {
        self.array(what).map(u32::from_be_bytes)
    }

    pub(super) fn i32(&mut self, what: &'static str) -> Result<i32, TdataErrorKind> {
        self.array(what).map(i32::from_be_bytes)
    }

    pub(super) fn u64(&mut self, what: &'static str) -> Result<u64, TdataErrorKind> {
        self.array(what).map(u64::from_be_bytes)
    }

    /// A `QByteArray`: a null one (length `0xFFFFFFFF`) is read as empty, as Qt reads it.
    pub(super) fn byte_array(&mut self, what: &'static str) -> Result<&'a [u8], TdataErrorKind> {
        match self.u32(what)? {
            NULL_ARRAY => Ok(&[]),
            n => self.take(n as usize, what),
        }
    }
}

pub(super) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(super) fn put_i32(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(super) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// A `QByteArray`; `None` writes a null one, as Telegram Desktop writes `QByteArray()`.
pub(super) fn put_array(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => put_u32(out, NULL_ARRAY),
        Some(b) => {
            // The writers of this module write arrays of a few hundred bytes at most.
            put_u32(out, u32::try_from(b.len()).unwrap_or(NULL_ARRAY));
            out.extend_from_slice(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_big_endian_and_reads_stop_at_the_end() {
        let mut out = Vec::new();
        put_u32(&mut out, 0x0102_0304);
        put_array(&mut out, Some(b"ab"));
        put_array(&mut out, None);
        assert_eq!(
            out,
            [1, 2, 3, 4, 0, 0, 0, 2, b'a', b'b', 0xff, 0xff, 0xff, 0xff]
        );
        let mut r = Reader::new(&out);
        assert_eq!(r.u32("x").unwrap(), 0x0102_0304);
        assert_eq!(r.byte_array("y").unwrap(), b"ab");
        assert_eq!(r.byte_array("z").unwrap(), b"");
        assert!(r.at_end());
        assert!(matches!(
            r.u32("w").unwrap_err(),
            TdataErrorKind::Truncated {
                what: "w",
                offset: 14,
                needed: 4,
                available: 0
            }
        ));
    }

    #[test]
    fn an_array_longer_than_the_stream_is_truncated_not_allocated() {
        let mut r = Reader::new(&[0x7f, 0xff, 0xff, 0xff, 1]);
        assert!(matches!(
            r.byte_array("the salt").unwrap_err(),
            TdataErrorKind::Truncated {
                what: "the salt",
                offset: 4,
                needed: 0x7fff_ffff,
                available: 1
            }
        ));
    }
}
