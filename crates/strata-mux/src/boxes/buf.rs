//! Byte-level box writing: a growable buffer with big-endian helpers and size back-patching.

/// A buffer that writes ISO-BMFF boxes.
#[derive(Default)]
pub(crate) struct BoxBuf {
    pub(crate) buf: Vec<u8>,
    stack: Vec<usize>,
}

impl BoxBuf {
    pub(crate) fn new() -> Self {
        Self::default()
    }
    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    pub(crate) fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn i32(&mut self, v: i32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }
    pub(crate) fn zeros(&mut self, n: usize) -> &mut Self {
        self.buf.resize(self.buf.len() + n, 0);
        self
    }
    /// Opens a box; its 32-bit size is patched by [`Self::end`].
    pub(crate) fn begin(&mut self, kind: &[u8; 4]) -> &mut Self {
        self.stack.push(self.buf.len());
        self.u32(0).bytes(kind)
    }
    /// Opens a full box (version and flags).
    pub(crate) fn begin_full(&mut self, kind: &[u8; 4], version: u8, flags: u32) -> &mut Self {
        self.begin(kind);
        self.u32((u32::from(version) << 24) | (flags & 0x00ff_ffff))
    }
    pub(crate) fn end(&mut self) -> &mut Self {
        if let Some(start) = self.stack.pop() {
            let size = (self.buf.len() - start) as u32;
            self.buf[start..start + 4].copy_from_slice(&size.to_be_bytes());
        }
        self
    }
}
