//! `smhd`: sound media header.

use super::BoxBuf;

/// Centre balance.
pub(crate) fn write(b: &mut BoxBuf) {
    b.begin_full(b"smhd", 0, 0).zeros(4).end();
}
