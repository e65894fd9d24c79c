//! The thin FFI layer over OpenH264's raw API: the only `unsafe` code in the crate.
//!
//! Each wrapper owns one OpenH264 object, creates it in `new`, destroys it in `Drop`, and
//! exposes just the calls the safe layer needs. Pointers handed to OpenH264 always come from
//! live Rust borrows that outlive the call; buffers OpenH264 hands back are copied out before the
//! next call into the same object, which is when OpenH264 may reuse them.
#![allow(unsafe_code)]
// `c_long` is i64 on Linux but i32 elsewhere: the conversions are not useless everywhere.
#![allow(clippy::useless_conversion)]

use openh264_sys2::source::APILoader;
use openh264_sys2::{
    ISVCDecoder, ISVCEncoder, SBufferInfo, SDecodingParam, SEncParamExt, SFrameBSInfo,
    SSourcePicture, DECODER_OPTION_NUM_OF_FRAMES_REMAINING_IN_BUFFER, DECODER_OPTION_TRACE_LEVEL,
    ENCODER_OPTION_DATAFORMAT, ENCODER_OPTION_TRACE_LEVEL, WELS_LOG_QUIET,
};
use std::os::raw::{c_int, c_void};
use std::ptr::null_mut;

/// One OpenH264 encoder instance.
pub(crate) struct RawEncoder {
    ptr: *mut ISVCEncoder,
    initialised: bool,
}

// SAFETY: an OpenH264 encoder has no thread affinity; it is used from one thread at a time
// because every method takes `&mut self`.
unsafe impl Send for RawEncoder {}

impl RawEncoder {
    pub(crate) fn new() -> Result<Self, i64> {
        let mut ptr: *mut ISVCEncoder = null_mut();
        // SAFETY: `ptr` is a valid out-pointer for the duration of the call.
        let rc = unsafe { APILoader::WelsCreateSVCEncoder(&mut ptr) };
        if rc != 0 || ptr.is_null() {
            return Err(i64::from(rc));
        }
        Ok(Self {
            ptr,
            initialised: false,
        })
    }

    pub(crate) fn default_params(&mut self) -> Result<SEncParamExt, i64> {
        let mut p = SEncParamExt::default();
        // SAFETY: `self.ptr` is a live encoder; `p` outlives the call. The vtable entry is
        // filled by WelsCreateSVCEncoder.
        let rc = unsafe {
            match (**self.ptr).GetDefaultParams {
                Some(f) => f(self.ptr, &mut p),
                None => -1,
            }
        };
        if rc != 0 {
            return Err(i64::from(rc));
        }
        Ok(p)
    }

    pub(crate) fn initialise(&mut self, params: &SEncParamExt) -> Result<(), (&'static str, i64)> {
        let mut quiet_early: c_int = WELS_LOG_QUIET as c_int;
        // SAFETY: TRACE_LEVEL takes a pointer to an int that lives across the call; it is
        // accepted before initialisation and silences InitializeExt's own warnings.
        unsafe {
            if let Some(f) = (**self.ptr).SetOption {
                f(
                    self.ptr,
                    ENCODER_OPTION_TRACE_LEVEL,
                    (&mut quiet_early as *mut c_int).cast::<c_void>(),
                );
            }
        }
        // SAFETY: `self.ptr` is a live encoder and `params` is a valid, initialised struct that
        // outlives the call; OpenH264 copies what it needs.
        let rc = unsafe {
            match (**self.ptr).InitializeExt {
                Some(f) => f(self.ptr, params),
                None => -1,
            }
        };
        if rc != 0 {
            return Err(("InitializeExt", i64::from(rc)));
        }
        self.initialised = true;
        let mut quiet: c_int = WELS_LOG_QUIET as c_int;
        let mut i420: c_int = openh264_sys2::videoFormatI420 as c_int;
        for (opt, val, what) in [
            (
                ENCODER_OPTION_TRACE_LEVEL,
                &mut quiet,
                "SetOption(TRACE_LEVEL)",
            ),
            (
                ENCODER_OPTION_DATAFORMAT,
                &mut i420,
                "SetOption(DATAFORMAT)",
            ),
        ] {
            // SAFETY: both options take a pointer to an int that lives across the call.
            let rc = unsafe {
                match (**self.ptr).SetOption {
                    Some(f) => f(self.ptr, opt, (val as *mut c_int).cast::<c_void>()),
                    None => -1,
                }
            };
            if rc != 0 {
                return Err((what, i64::from(rc)));
            }
        }
        Ok(())
    }

    pub(crate) fn force_idr(&mut self) -> Result<(), i64> {
        // SAFETY: `self.ptr` is a live, initialised encoder.
        let rc = unsafe {
            match (**self.ptr).ForceIntraFrame {
                Some(f) => f(self.ptr, true),
                None => -1,
            }
        };
        if rc != 0 {
            return Err(i64::from(rc));
        }
        Ok(())
    }

    /// Encodes one I420 picture and returns the Annex-B bytes of all its NAL units and the
    /// OpenH264 frame type.
    pub(crate) fn encode(
        &mut self,
        planes: [(&[u8], usize); 3],
        width: u32,
        height: u32,
        timestamp_ms: i64,
    ) -> Result<(Vec<u8>, i32), i64> {
        let h = height as usize;
        let w = width as usize;
        // The checks that make the raw pointer reads below stay inside the slices.
        let need = [
            (planes[0].1, w, h),
            (planes[1].1, w / 2, h / 2),
            (planes[2].1, w / 2, h / 2),
        ];
        for (i, (stride, pw, ph)) in need.into_iter().enumerate() {
            if stride < pw || planes[i].0.len() < stride * (ph - 1) + pw {
                return Err(-2);
            }
        }
        let pic = SSourcePicture {
            iColorFormat: openh264_sys2::videoFormatI420 as c_int,
            iStride: [
                planes[0].1 as c_int,
                planes[1].1 as c_int,
                planes[2].1 as c_int,
                0,
            ],
            pData: [
                planes[0].0.as_ptr().cast_mut(),
                planes[1].0.as_ptr().cast_mut(),
                planes[2].0.as_ptr().cast_mut(),
                null_mut(),
            ],
            iPicWidth: width as c_int,
            iPicHeight: height as c_int,
            uiTimeStamp: timestamp_ms,
            bPsnrY: false,
            bPsnrU: false,
            bPsnrV: false,
        };
        let mut info = SFrameBSInfo::default();
        // SAFETY: `pic` points into slices checked above to cover width x height at the given
        // strides; OpenH264 only reads source planes. `info` outlives the call.
        let rc = unsafe {
            match (**self.ptr).EncodeFrame {
                Some(f) => f(self.ptr, &pic, &mut info),
                None => -1,
            }
        };
        if rc != 0 {
            return Err(i64::from(rc));
        }
        let mut out = Vec::new();
        let layers = usize::try_from(info.iLayerNum)
            .unwrap_or(0)
            .min(info.sLayerInfo.len());
        for layer in &info.sLayerInfo[..layers] {
            let mut offset = 0usize;
            for n in 0..usize::try_from(layer.iNalCount).unwrap_or(0) {
                // SAFETY: OpenH264 sets pNalLengthInByte to an array of iNalCount lengths and
                // pBsBuf to a buffer holding all those NALs back to back; both stay valid until
                // the next EncodeFrame call on this encoder, and we copy before returning.
                let len = unsafe { *layer.pNalLengthInByte.add(n) };
                let len = usize::try_from(len).unwrap_or(0);
                // SAFETY: as above; offset + len stays within the layer's buffer.
                let nal = unsafe { std::slice::from_raw_parts(layer.pBsBuf.add(offset), len) };
                out.extend_from_slice(nal);
                offset += len;
            }
        }
        Ok((out, info.eFrameType))
    }
}

impl Drop for RawEncoder {
    fn drop(&mut self) {
        // SAFETY: `self.ptr` came from WelsCreateSVCEncoder and is destroyed exactly once.
        unsafe {
            if self.initialised {
                if let Some(f) = (**self.ptr).Uninitialize {
                    f(self.ptr);
                }
            }
            APILoader::WelsDestroySVCEncoder(self.ptr);
        }
    }
}

/// A decoded picture copied out of OpenH264's buffers.
pub(crate) struct RawPicture {
    pub planes: [Vec<u8>; 3],
    pub strides: [usize; 3],
    pub width: u32,
    pub height: u32,
    pub timestamp: u64,
}

/// One OpenH264 decoder instance.
pub(crate) struct RawDecoder {
    ptr: *mut ISVCDecoder,
}

// SAFETY: an OpenH264 decoder has no thread affinity; `&mut self` serialises all use.
unsafe impl Send for RawDecoder {}

impl RawDecoder {
    pub(crate) fn new() -> Result<Self, i64> {
        let mut ptr: *mut ISVCDecoder = null_mut();
        // SAFETY: `ptr` is a valid out-pointer for the call.
        let rc = unsafe { APILoader::WelsCreateDecoder(&mut ptr) };
        if rc != 0 || ptr.is_null() {
            return Err(i64::from(rc));
        }
        let mut params = SDecodingParam::default();
        params.sVideoProperty.eVideoBsType = openh264_sys2::VIDEO_BITSTREAM_AVC;
        // Concealment would hand us damaged pictures as if they were fine; we prefer the error.
        params.eEcActiveIdc = openh264_sys2::ERROR_CON_DISABLE;
        let dec = Self { ptr };
        // SAFETY: `dec.ptr` is a live decoder, `params` outlives the call.
        let rc = unsafe {
            match (**dec.ptr).Initialize {
                Some(f) => f(dec.ptr, &params),
                None => -1,
            }
        };
        if rc != 0 {
            return Err(i64::from(rc));
        }
        let mut quiet: c_int = WELS_LOG_QUIET as c_int;
        // SAFETY: TRACE_LEVEL takes a pointer to an int that lives across the call.
        unsafe {
            if let Some(f) = (**dec.ptr).SetOption {
                f(
                    dec.ptr,
                    DECODER_OPTION_TRACE_LEVEL,
                    (&mut quiet as *mut c_int).cast::<c_void>(),
                );
            }
        }
        Ok(dec)
    }

    fn take_picture(dst: &[*mut u8; 3], info: &SBufferInfo) -> Option<RawPicture> {
        if info.iBufferStatus != 1 {
            return None;
        }
        // SAFETY: with iBufferStatus == 1 the union holds sSystemBuffer describing `dst`.
        let sb = unsafe { info.UsrData.sSystemBuffer };
        let width = u32::try_from(sb.iWidth).ok()?;
        let height = u32::try_from(sb.iHeight).ok()?;
        let ys = usize::try_from(sb.iStride[0]).ok()?;
        let cs = usize::try_from(sb.iStride[1]).ok()?;
        if dst.iter().any(|p| p.is_null()) || width == 0 || height == 0 {
            return None;
        }
        let (w, h) = (width as usize, height as usize);
        if ys < w || cs < w.div_ceil(2) {
            return None;
        }
        // Rows are packed tightly (stride = width) because the scaler takes packed planes.
        let copy = |p: *mut u8, stride: usize, width: usize, rows: usize| {
            // SAFETY: OpenH264 guarantees `rows` rows of `stride` bytes at `p` for a ready
            // picture; the buffer stays valid until the next decode call, and we copy now.
            let src = unsafe { std::slice::from_raw_parts(p, stride * rows) };
            let mut out = Vec::with_capacity(width * rows);
            for r in src.chunks(stride).take(rows) {
                out.extend_from_slice(&r[..width]);
            }
            out
        };
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        Some(RawPicture {
            planes: [
                copy(dst[0], ys, w, h),
                copy(dst[1], cs, cw, ch),
                copy(dst[2], cs, cw, ch),
            ],
            strides: [w, cw, cw],
            width,
            height,
            timestamp: info.uiOutYuvTimeStamp,
        })
    }

    /// Feeds one access unit in Annex-B form; returns the decoding state and a picture if one
    /// became ready (in display order).
    pub(crate) fn decode(&mut self, annexb: &[u8], timestamp: u64) -> (i64, Option<RawPicture>) {
        let mut dst: [*mut u8; 3] = [null_mut(); 3];
        let mut info = SBufferInfo {
            uiInBsTimeStamp: timestamp,
            ..SBufferInfo::default()
        };
        let len = c_int::try_from(annexb.len()).unwrap_or(c_int::MAX);
        // SAFETY: `annexb` is readable for `len` bytes; `dst` and `info` outlive the call.
        let rc = unsafe {
            match (**self.ptr).DecodeFrameNoDelay {
                Some(f) => f(self.ptr, annexb.as_ptr(), len, dst.as_mut_ptr(), &mut info),
                None => -1,
            }
        };
        (i64::from(rc), Self::take_picture(&dst, &info))
    }

    /// Number of pictures OpenH264 still holds for reordering.
    pub(crate) fn pending(&mut self) -> usize {
        let mut n: c_int = 0;
        // SAFETY: the option writes one int to a pointer that lives across the call.
        let rc = unsafe {
            match (**self.ptr).GetOption {
                Some(f) => f(
                    self.ptr,
                    DECODER_OPTION_NUM_OF_FRAMES_REMAINING_IN_BUFFER,
                    (&mut n as *mut c_int).cast::<c_void>(),
                ),
                None => -1,
            }
        };
        if rc != 0 {
            0
        } else {
            usize::try_from(n).unwrap_or(0)
        }
    }

    /// Takes one picture out of the reorder buffer at end of stream.
    pub(crate) fn flush_one(&mut self) -> Option<RawPicture> {
        let mut dst: [*mut u8; 3] = [null_mut(); 3];
        let mut info = SBufferInfo::default();
        // SAFETY: `dst` and `info` outlive the call.
        unsafe {
            if let Some(f) = (**self.ptr).FlushFrame {
                f(self.ptr, dst.as_mut_ptr(), &mut info);
            }
        }
        Self::take_picture(&dst, &info)
    }
}

impl Drop for RawDecoder {
    fn drop(&mut self) {
        // SAFETY: `self.ptr` came from WelsCreateDecoder and is destroyed exactly once.
        unsafe {
            if let Some(f) = (**self.ptr).Uninitialize {
                f(self.ptr);
            }
            APILoader::WelsDestroyDecoder(self.ptr);
        }
    }
}
