//! Sample data spooled to a temporary file while the boxes that must precede it (moov, sidx)
//! are still unknown, then appended after them. Shared by the progressive and single-file
//! fragmented writers.

use crate::MuxError;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Appends the first `len` bytes of the spool `tmp` to `out`, flushes `out`, and deletes the
/// spool file at `tmp_path`.
///
/// # Errors
/// [`MuxError::Io`]; [`MuxError::Config`] when the spool holds fewer than `len` bytes (it was
/// truncated by someone else since it was written).
pub(crate) fn append_and_remove(
    tmp: BufWriter<File>,
    len: u64,
    tmp_path: &Path,
    out: &mut impl Write,
) -> Result<(), MuxError> {
    let mut tmp = tmp.into_inner().map_err(|e| MuxError::Io(e.into_error()))?;
    tmp.seek(SeekFrom::Start(0))?;
    let copied = std::io::copy(&mut (&mut tmp).take(len), out)?;
    if copied != len {
        return Err(MuxError::Config(format!(
            "temporary sample file shrank: {copied} of {len} bytes"
        )));
    }
    out.flush()?;
    drop(tmp);
    std::fs::remove_file(tmp_path)?;
    Ok(())
}
