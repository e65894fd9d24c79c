//! Bounds-checked big-endian reading over an in-memory box payload, and iteration over child
//! boxes. Every read returns `Malformed` instead of panicking, so box parsers can use `?`
//! everywhere and never index a slice themselves.

use crate::DemuxError;

/// A read position inside one box payload; `base` is the payload's offset in the file so errors
/// can point at the exact byte.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    ctx: &'static str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8], base: u64, ctx: &'static str) -> Self {
        Self {
            data,
            pos: 0,
            base,
            ctx,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// File offset of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }

    fn short(&self, need: usize) -> DemuxError {
        DemuxError::malformed(
            format!(
                "{} is too short: {} more bytes needed, {} left",
                self.ctx,
                need,
                self.remaining()
            ),
            self.offset(),
        )
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DemuxError> {
        let end = self.pos.checked_add(n).ok_or_else(|| self.short(n))?;
        let out = self.data.get(self.pos..end).ok_or_else(|| self.short(n))?;
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Result<(), DemuxError> {
        self.bytes(n).map(|_| ())
    }

    /// Everything after the read position (the child boxes of a sample entry, the ASC, …).
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = self.data.get(self.pos..).unwrap_or(&[]);
        self.pos = self.data.len();
        out
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DemuxError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DemuxError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DemuxError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DemuxError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, DemuxError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DemuxError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, DemuxError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    pub(crate) fn fourcc(&mut self) -> Result<[u8; 4], DemuxError> {
        self.array()
    }

    /// The version and flags of a "full box".
    pub(crate) fn full_box(&mut self) -> Result<(u8, u32), DemuxError> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00FF_FFFF))
    }

    /// Rejects a table of `count` entries of `entry_size` bytes that cannot fit in what is left,
    /// before anything is allocated or looped over from the declared count.
    pub(crate) fn check_table(&self, count: u64, entry_size: usize) -> Result<(), DemuxError> {
        let need = count.checked_mul(entry_size as u64);
        match need {
            Some(n) if n <= self.remaining() as u64 => Ok(()),
            _ => Err(DemuxError::malformed(
                format!(
                    "{} declares {} entries of {} bytes but only {} bytes follow",
                    self.ctx,
                    count,
                    entry_size,
                    self.remaining()
                ),
                self.offset(),
            )),
        }
    }
}

/// One box inside an in-memory parent.
#[derive(Clone, Copy)]
pub(crate) struct BoxRef<'a> {
    pub(crate) typ: [u8; 4],
    /// File offset of the box header.
    pub(crate) offset: u64,
    pub(crate) payload: &'a [u8],
    /// File offset of the first payload byte.
    pub(crate) payload_offset: u64,
}

impl<'a> BoxRef<'a> {
    pub(crate) fn cursor(&self, ctx: &'static str) -> Cursor<'a> {
        Cursor::new(self.payload, self.payload_offset, ctx)
    }

    pub(crate) fn children(&self) -> Children<'a> {
        Children::new(self.payload, self.payload_offset)
    }

    /// The first child of type `typ`.
    pub(crate) fn child(&self, typ: &[u8; 4]) -> Result<Option<BoxRef<'a>>, DemuxError> {
        for b in self.children() {
            let b = b?;
            if &b.typ == typ {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    /// Like [`BoxRef::child`] but a missing box is an error naming it.
    pub(crate) fn required(&self, typ: &[u8; 4]) -> Result<BoxRef<'a>, DemuxError> {
        self.child(typ)?.ok_or_else(|| {
            DemuxError::malformed(
                format!(
                    "'{}' box has no '{}' box",
                    fourcc_str(&self.typ),
                    fourcc_str(typ)
                ),
                self.offset,
            )
        })
    }
}

/// Iterates the boxes packed in `data`. Stops after the first error.
pub(crate) struct Children<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    done: bool,
}

impl<'a> Children<'a> {
    pub(crate) fn new(data: &'a [u8], base: u64) -> Self {
        Self {
            data,
            pos: 0,
            base,
            done: false,
        }
    }

    fn next_box(&mut self) -> Result<Option<BoxRef<'a>>, DemuxError> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        // QuickTime writers pad containers with a 32-bit zero terminator; fewer than 8 bytes
        // cannot hold a box, so they end the list instead of failing it.
        if rest.len() < 8 {
            return Ok(None);
        }
        let offset = self.base.saturating_add(self.pos as u64);
        let mut c = Cursor::new(rest, offset, "box header");
        let size32 = c.u32()?;
        let typ = c.fourcc()?;
        let size = match size32 {
            0 => rest.len() as u64,
            1 => c.u64()?,
            s => u64::from(s),
        };
        let header = if size32 == 1 { 16 } else { 8 };
        if size < header {
            return Err(DemuxError::malformed(
                format!(
                    "box '{}' declares size {} which is smaller than its {}-byte header",
                    fourcc_str(&typ),
                    size,
                    header
                ),
                offset,
            ));
        }
        if size > rest.len() as u64 {
            return Err(DemuxError::malformed(
                format!(
                    "box '{}' declares {} bytes but its parent has only {} left",
                    fourcc_str(&typ),
                    size,
                    rest.len()
                ),
                offset,
            ));
        }
        // Both fit in usize: size <= rest.len().
        let (size, header) = (size as usize, header as usize);
        let payload = rest.get(header..size).unwrap_or(&[]);
        self.pos = self.pos.saturating_add(size);
        Ok(Some(BoxRef {
            typ,
            offset,
            payload,
            payload_offset: offset.saturating_add(header as u64),
        }))
    }
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<BoxRef<'a>, DemuxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_box() {
            Ok(Some(b)) => Some(Ok(b)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// A four-character code as text for messages; non-printable bytes become '?'.
pub(crate) fn fourcc_str(t: &[u8; 4]) -> String {
    t.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}
