//! Silent AAC-LC access units, written by hand so `InsertSilenceIfNoAudio` needs no encoder.
//!
//! A raw_data_block (ISO 14496-3 4.4.2.1) holding one SCE (mono) or CPE (stereo) whose
//! channel streams declare `max_sfb = 0`, so no spectral data follows: every decoder outputs
//! zeros for it. Bits per channel stream: global_gain(8), ics_info(11: reserved, long window,
//! shape, max_sfb 0, no prediction), no section/scalefactor data, pulse/tns/gain-control
//! flags(3).

struct Bits {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, bits: u32) {
        for i in (0..bits).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1);
            self.n += 1;
            if self.n == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.n = 0;
            }
        }
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push((self.acc << (8 - self.n)) as u8);
        }
        self.out
    }
}

fn silent_ics(b: &mut Bits) {
    b.put(100, 8); // global_gain: any value, no coefficients use it
    b.put(0, 1); // ics_reserved_bit
    b.put(0, 2); // window_sequence ONLY_LONG
    b.put(0, 1); // window_shape
    b.put(0, 6); // max_sfb = 0
    b.put(0, 1); // predictor_data_present
    b.put(0, 3); // pulse, tns, gain control: absent
}

/// One silent AAC-LC frame (1024 samples) for 1 or 2 channels (anything else: 2).
pub(crate) fn silent_frame(channels: u16) -> Vec<u8> {
    let mut b = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    if channels == 1 {
        b.put(0, 3); // ID_SCE
        b.put(0, 4);
        silent_ics(&mut b);
    } else {
        b.put(1, 3); // ID_CPE
        b.put(0, 4);
        b.put(0, 1); // common_window = 0
        silent_ics(&mut b);
        silent_ics(&mut b);
    }
    b.put(7, 3); // ID_END
    b.finish()
}

/// AudioSpecificConfig for AAC-LC at `rate` Hz with 1 or 2 channels.
pub(crate) fn audio_specific_config(channels: u16, rate: u32) -> Vec<u8> {
    let idx = strata_core::AAC_SAMPLE_RATES
        .iter()
        .position(|&r| r == rate)
        .unwrap_or(3) as u16;
    let ch = if channels == 1 { 1 } else { 2 };
    let v: u16 = (2 << 11) | (idx << 7) | (ch << 3);
    v.to_be_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_and_frames() {
        // 48 kHz stereo AAC-LC is the well-known 0x1190.
        assert_eq!(audio_specific_config(2, 48000), vec![0x11, 0x90]);
        assert_eq!(audio_specific_config(1, 44100), vec![0x12, 0x08]);
        // CPE: 3+4+1+22+22+3 = 55 bits → 7 bytes; SCE: 3+4+22+3 = 32 bits → 4 bytes.
        assert_eq!(silent_frame(2).len(), 7);
        assert_eq!(silent_frame(1).len(), 4);
        assert_eq!(silent_frame(2)[0] >> 5, 1, "starts with ID_CPE");
    }
}
