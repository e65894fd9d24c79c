//! `mdat` header.

/// The header of an `mdat` holding `payload` bytes: 8 bytes, or 16 with a 64-bit largesize
/// when the box would not fit a 32-bit size.
pub(crate) fn header(payload: u64) -> Vec<u8> {
    let mut h = Vec::with_capacity(16);
    if payload + 8 > u64::from(u32::MAX) {
        h.extend_from_slice(&1u32.to_be_bytes());
        h.extend_from_slice(b"mdat");
        h.extend_from_slice(&(payload + 16).to_be_bytes());
    } else {
        h.extend_from_slice(&((payload + 8) as u32).to_be_bytes());
        h.extend_from_slice(b"mdat");
    }
    h
}
