//! MSB-first bit writer for the AAC raw_data_block syntax (ISO/IEC 14496-3, 1.3 "bslbf/uimsbf").

/// Appends fields most-significant bit first, as every AAC syntax element is defined.
#[derive(Debug, Default, Clone)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    /// Bits accumulated but not yet flushed to `bytes` (right-aligned in `acc`).
    acc: u64,
    acc_bits: u32,
}

impl BitWriter {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(bytes),
            acc: 0,
            acc_bits: 0,
        }
    }

    /// Writes the low `n` bits of `value` (n ≤ 32).
    pub(crate) fn put(&mut self, n: u32, value: u32) {
        debug_assert!(n <= 32);
        debug_assert!(
            n == 32 || u64::from(value) < (1u64 << n),
            "value {value} does not fit {n} bits"
        );
        if n == 0 {
            return;
        }
        self.acc = (self.acc << n) | u64::from(value);
        self.acc_bits += n;
        while self.acc_bits >= 8 {
            self.acc_bits -= 8;
            self.bytes.push((self.acc >> self.acc_bits) as u8);
        }
        // Keep only the pending bits so the accumulator never overflows.
        self.acc &= (1u64 << self.acc_bits) - 1;
    }

    /// Number of bits written so far.
    pub(crate) fn bit_len(&self) -> usize {
        self.bytes.len() * 8 + self.acc_bits as usize
    }

    /// Pads with zero bits to the next byte boundary (byte_alignment()).
    pub(crate) fn align(&mut self) {
        let pad = (8 - self.acc_bits % 8) % 8;
        self.put(pad, 0);
    }

    /// Finishes the stream, zero-padding the last byte.
    pub(crate) fn into_bytes(mut self) -> Vec<u8> {
        self.align();
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_msb_first_across_byte_boundaries() {
        let mut w = BitWriter::default();
        w.put(3, 0b101);
        w.put(4, 0b0011);
        w.put(12, 0xABC);
        w.put(1, 1);
        assert_eq!(w.bit_len(), 20);
        w.put(32, 0xDEAD_BEEF);
        assert_eq!(w.bit_len(), 52);
        let b = w.into_bytes();
        // 101 0011 1010 1011 1100 1 + DEADBEEF + 0000 pad
        let mut expect: u64 = 0b101;
        expect = (expect << 4) | 0b0011;
        expect = (expect << 12) | 0xABC;
        expect = (expect << 1) | 1;
        expect = (expect << 32) | 0xDEAD_BEEF;
        expect <<= 4;
        let want: Vec<u8> = (0..7).rev().map(|i| (expect >> (8 * i)) as u8).collect();
        assert_eq!(b, want);
    }

    #[test]
    fn align_pads_only_when_needed() {
        let mut w = BitWriter::default();
        w.put(8, 0xFF);
        w.align();
        assert_eq!(w.bit_len(), 8);
        w.put(1, 1);
        w.align();
        assert_eq!(w.bit_len(), 16);
        assert_eq!(w.into_bytes(), vec![0xFF, 0x80]);
    }
}
