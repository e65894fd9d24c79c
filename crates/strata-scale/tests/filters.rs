//! Tests of the picture filters: crop, rotate, deinterlace, overlay and YUV→RGB.

use strata_core::Frame;
use strata_scale::{crop, deinterlace, rotate, yuv_to_rgb, Overlay, ScaleError};

/// A frame whose every sample is a distinct-ish function of its position, per plane.
fn gradient(w: u32, h: u32) -> Frame {
    let mut f = Frame::black(w, h).unwrap();
    f.pts = 1234;
    f.duration = 40;
    for (i, p) in f.planes.iter_mut().enumerate() {
        for y in 0..p.height {
            for (x, v) in p.row_mut(y).iter_mut().enumerate() {
                *v = ((x * 3 + y * 7 + i * 50) % 256) as u8;
            }
        }
    }
    f
}

fn px(f: &Frame, plane: usize, x: usize, y: usize) -> u8 {
    f.planes[plane].row(y)[x]
}

// ------------------------------------------------------------------------------------- crop

#[test]
fn crop_takes_the_right_pixels() {
    let src = gradient(64, 48);
    let out = crop(&src, 10, 6, 20, 12).unwrap();
    assert_eq!((out.width, out.height), (20, 12));
    assert_eq!((out.pts, out.duration), (1234, 40));
    assert_eq!(
        (out.planes[1].width, out.planes[1].height),
        (10, 6),
        "chroma is half"
    );
    for (ox, oy) in [(0, 0), (19, 0), (0, 11), (19, 11), (7, 5)] {
        assert_eq!(
            px(&out, 0, ox, oy),
            px(&src, 0, 10 + ox, 6 + oy),
            "Y {ox},{oy}"
        );
    }
    for (ox, oy) in [(0, 0), (9, 0), (0, 5), (9, 5)] {
        for plane in [1, 2] {
            assert_eq!(px(&out, plane, ox, oy), px(&src, plane, 5 + ox, 3 + oy));
        }
    }
}

#[test]
fn crop_snaps_to_even() {
    let src = gradient(64, 48);
    // Odd origin rounds down, odd size rounds up.
    let out = crop(&src, 11, 7, 21, 13).unwrap();
    assert_eq!((out.width, out.height), (22, 14));
    assert_eq!(px(&out, 0, 0, 0), px(&src, 0, 10, 6));
    assert_eq!(px(&out, 0, 21, 13), px(&src, 0, 31, 19));
    // Rounding up would cross the edge: stays inside instead.
    let out = crop(&src, 63, 47, 1, 1).unwrap();
    assert_eq!((out.width, out.height), (2, 2));
    assert_eq!(px(&out, 0, 1, 1), px(&src, 0, 63, 47));
    let out = crop(&src, 1, 1, 63, 47).unwrap();
    assert_eq!((out.width, out.height), (64, 48));
    let out = crop(&src, 0, 0, 64, 48).unwrap();
    assert_eq!(out, src);
}

#[test]
fn crop_outside_is_refused_with_the_values() {
    let src = gradient(64, 48);
    let e = crop(&src, 60, 0, 10, 10).unwrap_err();
    assert!(matches!(e, ScaleError::CropOutside { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("10x10") && msg.contains("(60,0)") && msg.contains("64x48"),
        "{msg}"
    );
    assert!(crop(&src, 0, 40, 64, 10).is_err());
    assert!(crop(&src, 0, 0, 0, 10).is_err());
    assert!(crop(&src, 0, 0, 10, 0).is_err());
    assert!(crop(&src, u32::MAX, 0, 2, 2).is_err(), "no overflow");
    assert!(crop(&src, 2, 2, u32::MAX, 2).is_err(), "no overflow");
}

// ----------------------------------------------------------------------------------- rotate

#[test]
fn rotate_90_moves_top_left_to_top_right() {
    let src = gradient(64, 48);
    let out = rotate(&src, 90).unwrap();
    assert_eq!((out.width, out.height), (48, 64), "sides swap");
    assert_eq!((out.planes[1].width, out.planes[1].height), (24, 32));
    assert_eq!((out.pts, out.duration), (1234, 40));
    assert_eq!(
        px(&out, 0, 47, 0),
        px(&src, 0, 0, 0),
        "top-left → top-right"
    );
    assert_eq!(
        px(&out, 0, 47, 63),
        px(&src, 0, 63, 0),
        "top-right → bottom-right"
    );
    assert_eq!(
        px(&out, 0, 0, 0),
        px(&src, 0, 0, 47),
        "bottom-left → top-left"
    );
    for plane in [1, 2] {
        assert_eq!(px(&out, plane, 23, 0), px(&src, plane, 0, 0));
        assert_eq!(px(&out, plane, 0, 31), px(&src, plane, 31, 23));
    }
    let out = rotate(&src, 180).unwrap();
    assert_eq!((out.width, out.height), (64, 48));
    assert_eq!(px(&out, 0, 63, 47), px(&src, 0, 0, 0));
    assert_eq!(px(&out, 0, 0, 47), px(&src, 0, 63, 0));
    let out = rotate(&src, 270).unwrap();
    assert_eq!((out.width, out.height), (48, 64));
    assert_eq!(
        px(&out, 0, 0, 63),
        px(&src, 0, 0, 0),
        "top-left → bottom-left"
    );
    assert_eq!(rotate(&src, 0).unwrap(), src);
}

#[test]
fn rotations_compose_to_identity() {
    let src = gradient(40, 24);
    let back = rotate(&rotate(&src, 90).unwrap(), 270).unwrap();
    assert_eq!(back, src);
    let back = rotate(&rotate(&src, 270).unwrap(), 90).unwrap();
    assert_eq!(back, src);
    let back = rotate(&rotate(&src, 180).unwrap(), 180).unwrap();
    assert_eq!(back, src);
    let mut f = src.clone();
    for _ in 0..4 {
        f = rotate(&f, 90).unwrap();
    }
    assert_eq!(f, src);
    let twice = rotate(&rotate(&src, 90).unwrap(), 90).unwrap();
    assert_eq!(twice, rotate(&src, 180).unwrap());
}

#[test]
fn rotate_refuses_other_angles() {
    let src = gradient(8, 8);
    for d in [45, -90, 360, 1, i32::MIN] {
        let e = rotate(&src, d).unwrap_err();
        assert!(matches!(e, ScaleError::BadRotation { degrees } if degrees == d));
        assert!(e.to_string().contains(&d.to_string()));
    }
}

// ------------------------------------------------------------------------------ deinterlace

fn psnr(a: &Frame, b: &Frame) -> f64 {
    let (mut se, mut n) = (0f64, 0f64);
    for (pa, pb) in a.planes.iter().zip(&b.planes) {
        for y in 0..pa.height {
            for (va, vb) in pa.row(y).iter().zip(pb.row(y)) {
                se += (f64::from(*va) - f64::from(*vb)).powi(2);
                n += 1.0;
            }
        }
    }
    if se == 0.0 {
        return f64::INFINITY;
    }
    10.0 * (255f64.powi(2) / (se / n)).log10()
}

/// Sum over interior rows of |2·row − above − below| on luma: large when lines alternate.
fn comb_energy(f: &Frame) -> u64 {
    let p = &f.planes[0];
    let mut e = 0u64;
    for y in 1..p.height - 1 {
        let (a, c, b) = (p.row(y - 1), p.row(y), p.row(y + 1));
        for x in 0..p.width {
            e += (2 * i64::from(c[x]) - i64::from(a[x]) - i64::from(b[x])).unsigned_abs();
        }
    }
    e
}

#[test]
fn deinterlace_leaves_progressive_gradients_alone() {
    let mut f = Frame::black(64, 64).unwrap();
    for (i, p) in f.planes.iter_mut().enumerate() {
        for y in 0..p.height {
            for (x, v) in p.row_mut(y).iter_mut().enumerate() {
                // Smooth vertical ramp plus a horizontal texture shared by every row.
                *v = (16 + y * 3 + (x % 5) * 4 + i * 10) as u8;
            }
        }
    }
    f.pts = 99;
    for tff in [true, false] {
        let out = deinterlace(&f, tff);
        assert_eq!((out.width, out.height, out.pts), (64, 64, 99));
        let p = psnr(&out, &f);
        assert!(p > 40.0, "PSNR {p:.1} dB");
    }
    // A sharp horizontal edge is progressive detail, not combing: kept.
    let mut edge = Frame::black(32, 32).unwrap();
    for y in 16..32 {
        edge.planes[0].row_mut(y).fill(235);
    }
    assert_eq!(deinterlace(&edge, true), edge);
}

/// Image A: a bright bar with soft edges at `x0`; the frame interleaves A (even rows) and A
/// shifted by `shift` (odd rows), what a moving object looks like in an interlaced frame.
fn bar(x: usize, x0: usize) -> u8 {
    let d = x as i64 - x0 as i64;
    match d {
        i64::MIN..=-2 => 30,
        -1..=16 => 220,
        _ => 30,
    }
}

#[test]
fn deinterlace_removes_combing() {
    let (w, h) = (64usize, 48usize);
    let mut combed = Frame::black(w as u32, h as u32).unwrap();
    let mut truth = combed.clone();
    for y in 0..h {
        for x in 0..w {
            let a = bar(x, 20);
            let b = bar(x, 28);
            combed.planes[0].row_mut(y)[x] = if y % 2 == 0 { a } else { b };
            truth.planes[0].row_mut(y)[x] = a;
        }
    }
    for y in 0..h / 2 {
        for x in 0..w / 2 {
            // Chroma of the same scene: the bar is reddish.
            let a = if (9..19).contains(&x) { 200 } else { 128 };
            let b = if (13..23).contains(&x) { 200 } else { 128 };
            combed.planes[2].row_mut(y)[x] = if y % 2 == 0 { a } else { b };
            truth.planes[2].row_mut(y)[x] = a;
        }
    }
    let before = comb_energy(&combed);
    let out = deinterlace(&combed, true);
    let after = comb_energy(&out);
    assert!(before > 0);
    assert!(after * 20 < before, "comb energy {before} → {after}");
    // The kept field is untouched and the rebuilt one matches the still picture.
    for y in (0..h).step_by(2) {
        assert_eq!(out.planes[0].row(y), combed.planes[0].row(y));
    }
    assert!(psnr(&out, &truth) > 40.0, "{:.1}", psnr(&out, &truth));
    // Bottom field first: the odd rows are kept instead.
    let out = deinterlace(&combed, false);
    for y in (1..h).step_by(2) {
        assert_eq!(out.planes[0].row(y), combed.planes[0].row(y));
    }
    assert!(comb_energy(&out) * 20 < before);
}

#[test]
fn deinterlace_follows_diagonal_edges() {
    // A 45° edge in the kept field and a shifted copy in the other: ELA must rebuild the edge
    // where a plain vertical average would leave mid-grey stair steps.
    let n = 48usize;
    let edge = |x: usize, y: usize, s: usize| if x > y + s { 235u8 } else { 16 };
    let mut combed = Frame::black(n as u32, n as u32).unwrap();
    for y in 0..n {
        for x in 0..n {
            combed.planes[0].row_mut(y)[x] = edge(x, y, if y % 2 == 0 { 0 } else { 10 });
        }
    }
    let out = deinterlace(&combed, true);
    let (mut ela_err, mut avg_err) = (0u64, 0u64);
    for y in (1..n - 1).step_by(2) {
        let (a, b) = (combed.planes[0].row(y - 1), combed.planes[0].row(y + 1));
        for x in 2..n - 2 {
            let t = i64::from(edge(x, y, 0));
            ela_err += (i64::from(out.planes[0].row(y)[x]) - t).unsigned_abs();
            avg_err += ((i64::from(a[x]) + i64::from(b[x]) + 1) / 2 - t).unsigned_abs();
        }
    }
    assert!(
        ela_err * 4 < avg_err,
        "ELA error {ela_err} vs vertical {avg_err}"
    );
}

// ---------------------------------------------------------------------------------- overlay

fn rgba_square(w: u32, h: u32, rgba: [u8; 4]) -> Vec<u8> {
    rgba.repeat((w * h) as usize)
}

fn red_square(n: u32) -> Overlay {
    Overlay::from_rgba(n, n, &rgba_square(n, n, [255, 0, 0, 255])).unwrap()
}

#[test]
fn opaque_red_gives_bt709_red_inside_only() {
    let ov = red_square(16);
    assert_eq!((ov.width(), ov.height()), (16, 16));
    let mut f = Frame::black(64, 48).unwrap();
    f.pts = 5;
    ov.blend_into(&mut f, 10, 10, 1.0);
    assert_eq!(f.pts, 5);
    for y in 0..48 {
        for x in 0..64 {
            let inside = (10..26).contains(&x) && (10..26).contains(&y);
            assert_eq!(
                px(&f, 0, x, y),
                if inside { 63 } else { 16 },
                "Y at {x},{y}"
            );
        }
    }
    for y in 0..24 {
        for x in 0..32 {
            let inside = (5..13).contains(&x) && (5..13).contains(&y);
            let (u, v) = (px(&f, 1, x, y), px(&f, 2, x, y));
            if inside {
                assert_eq!((u, v), (102, 240), "UV at {x},{y}");
            } else {
                assert_eq!((u, v), (128, 128), "UV at {x},{y}");
            }
        }
    }
}

#[test]
fn half_opacity_gives_the_midpoint() {
    let ov = red_square(16);
    let mut f = Frame::black(64, 48).unwrap();
    ov.blend_into(&mut f, 10, 10, 0.5);
    let near = |got: u8, want: f32| (f32::from(got) - want).abs() <= 1.0;
    assert!(
        near(px(&f, 0, 12, 12), (16.0 + 63.0) / 2.0),
        "{}",
        px(&f, 0, 12, 12)
    );
    assert!(near(px(&f, 1, 6, 6), (128.0 + 102.0) / 2.0));
    assert!(near(px(&f, 2, 6, 6), (128.0 + 240.0) / 2.0));
    // Per-pixel alpha at 50 % does the same as opacity 0.5.
    let half = Overlay::from_rgba(16, 16, &rgba_square(16, 16, [255, 0, 0, 128])).unwrap();
    let mut g = Frame::black(64, 48).unwrap();
    half.blend_into(&mut g, 10, 10, 1.0);
    assert_eq!(px(&g, 0, 12, 12), px(&f, 0, 12, 12));
    // Opacity 0 and fully transparent pixels change nothing.
    let black = Frame::black(64, 48).unwrap();
    let mut h = black.clone();
    ov.blend_into(&mut h, 10, 10, 0.0);
    ov.blend_into(&mut h, 10, 10, f32::NAN);
    Overlay::from_rgba(8, 8, &rgba_square(8, 8, [255, 255, 255, 0]))
        .unwrap()
        .blend_into(&mut h, 0, 0, 1.0);
    assert_eq!(h, black);
}

#[test]
fn odd_position_blends_chroma_by_coverage() {
    let ov = red_square(4);
    let mut f = Frame::black(16, 16).unwrap();
    ov.blend_into(&mut f, 3, 3, 1.0);
    assert_eq!(px(&f, 0, 3, 3), 63);
    assert_eq!(px(&f, 0, 2, 2), 16);
    // Chroma sample (1,1) covers luma 2..4 x 2..4: one of its four pixels is red.
    let v = px(&f, 2, 1, 1);
    assert!((v as i32 - (128 + (240 - 128) / 4)).abs() <= 1, "{v}");
    // Sample (2,2) covers luma 4..6: all four red.
    assert_eq!(px(&f, 2, 2, 2), 240);
    // Sample (3,1) covers luma 6..8 x 2..4: the overlay ends at x = 7 exclusive, so the
    // one pixel (6,3) is red.
    let v = px(&f, 2, 3, 1);
    assert!((v as i32 - 156).abs() <= 1, "{v}");
}

#[test]
fn overlay_is_clipped_at_every_edge() {
    let ov = red_square(16);
    let mut f = Frame::black(64, 48).unwrap();
    ov.blend_into(&mut f, -8, -8, 1.0);
    assert_eq!(px(&f, 0, 0, 0), 63);
    assert_eq!(px(&f, 0, 7, 7), 63);
    assert_eq!(px(&f, 0, 8, 8), 16);
    assert_eq!(px(&f, 2, 3, 3), 240);
    assert_eq!(px(&f, 2, 4, 4), 128);
    let mut g = Frame::black(64, 48).unwrap();
    ov.blend_into(&mut g, 56, 40, 1.0);
    assert_eq!(px(&g, 0, 63, 47), 63);
    assert_eq!(px(&g, 0, 55, 47), 16);
    assert_eq!(px(&g, 2, 31, 23), 240);
    // Wholly outside, at extreme coordinates: nothing drawn, no panic.
    let black = Frame::black(64, 48).unwrap();
    let mut h = black.clone();
    for (x, y) in [
        (-16, 0),
        (0, -16),
        (64, 0),
        (0, 48),
        (-1000, -1000),
        (1000, 1000),
        (i32::MIN, i32::MIN),
        (i32::MAX, i32::MAX),
        (i32::MIN, i32::MAX),
    ] {
        ov.blend_into(&mut h, x, y, 1.0);
    }
    assert_eq!(h, black);
    // Larger than the frame on every side.
    let big = red_square(100);
    let mut k = Frame::black(64, 48).unwrap();
    big.blend_into(&mut k, -10, -10, 1.0);
    assert!(k.planes[0].data.iter().all(|&v| v == 63));
    assert!(k.planes[1].data.iter().all(|&v| v == 102));
}

#[test]
fn from_rgba_checks_the_buffer() {
    let e = Overlay::from_rgba(16, 16, &[0; 1023]).unwrap_err();
    assert!(matches!(
        e,
        ScaleError::BadOverlayBuffer {
            expected: 1024,
            actual: 1023,
            ..
        }
    ));
    let msg = e.to_string();
    assert!(
        msg.contains("16x16") && msg.contains("1024") && msg.contains("1023"),
        "{msg}"
    );
    assert!(Overlay::from_rgba(0, 16, &[]).is_err());
    assert!(Overlay::from_rgba(u32::MAX, u32::MAX, &[0; 16]).is_err());
}

#[test]
fn resized_keeps_colour_and_alpha() {
    let ov = red_square(16);
    let small = ov.resized(8, 4);
    assert_eq!((small.width(), small.height()), (8, 4));
    let mut f = Frame::black(32, 32).unwrap();
    small.blend_into(&mut f, 0, 0, 1.0);
    assert_eq!(px(&f, 0, 7, 3), 63);
    assert_eq!(px(&f, 0, 8, 3), 16);
    assert_eq!(px(&f, 0, 7, 4), 16);
    let big = ov.resized(40, 30);
    let mut g = Frame::black(64, 48).unwrap();
    big.blend_into(&mut g, 0, 0, 1.0);
    assert_eq!(px(&g, 0, 39, 29), 63);
    assert_eq!(px(&g, 2, 19, 14), 240);
    assert_eq!(px(&g, 0, 40, 29), 16);
    let tiny = ov.resized(0, 0);
    assert_eq!((tiny.width(), tiny.height()), (1, 1));
    // A left-opaque, right-transparent image: transparent pixels do not darken the edge.
    let mut rgba = Vec::new();
    for _ in 0..8 {
        for x in 0..8 {
            rgba.extend_from_slice(if x < 4 {
                &[255, 255, 255, 255]
            } else {
                &[0, 0, 0, 0]
            });
        }
    }
    let half = Overlay::from_rgba(8, 8, &rgba).unwrap().resized(4, 4);
    let mut h = Frame::black(8, 8).unwrap();
    h.planes[0].data.fill(235);
    half.blend_into(&mut h, 0, 0, 1.0);
    assert!(
        h.planes[0].data.iter().all(|&v| v >= 234),
        "{:?}",
        h.planes[0].data
    );
}

#[test]
fn load_reads_a_png_and_names_bad_paths() {
    let dir = std::env::temp_dir().join(format!("strata-filters-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("logo.png");
    let mut img = image::RgbaImage::new(6, 4);
    for (x, _, p) in img.enumerate_pixels_mut() {
        *p = if x < 3 {
            image::Rgba([255, 0, 0, 255])
        } else {
            image::Rgba([0, 0, 255, 0])
        };
    }
    img.save(&png).unwrap();
    let ov = Overlay::load(&png).unwrap();
    assert_eq!((ov.width(), ov.height()), (6, 4));
    let mut f = Frame::black(16, 16).unwrap();
    ov.blend_into(&mut f, 2, 2, 1.0);
    assert_eq!(px(&f, 0, 2, 2), 63);
    assert_eq!(px(&f, 0, 4, 5), 63);
    assert_eq!(px(&f, 0, 5, 2), 16, "transparent part");
    assert_eq!(px(&f, 2, 1, 1), 240);

    // Content decides the format: a JPEG named .png still loads (opaque).
    let jpg = dir.join("photo.png");
    image::RgbImage::from_pixel(8, 8, image::Rgb([0, 0, 0]))
        .save_with_format(&jpg, image::ImageFormat::Jpeg)
        .unwrap();
    assert_eq!(Overlay::load(&jpg).unwrap().width(), 8);

    let missing = dir.join("missing.png");
    let e = Overlay::load(&missing).unwrap_err();
    assert!(matches!(e, ScaleError::OverlayImage { .. }), "{e:?}");
    assert!(e.to_string().contains("missing.png"), "{e}");
    let junk = dir.join("junk.png");
    std::fs::write(&junk, b"this is not an image").unwrap();
    let e = Overlay::load(&junk).unwrap_err();
    assert!(e.to_string().contains("junk.png"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ------------------------------------------------------------------------------ yuv_to_rgb

#[test]
fn yuv_to_rgb_maps_limited_range_to_full() {
    let mut f = Frame::black(4, 2).unwrap();
    let rgb = yuv_to_rgb(&f);
    assert_eq!(rgb.len(), 4 * 2 * 3);
    assert!(rgb.iter().all(|&v| v == 0), "Y=16 is black: {rgb:?}");
    f.planes[0].data.fill(235);
    assert!(yuv_to_rgb(&f).iter().all(|&v| v == 255), "Y=235 is white");
    // BT.709 red round-trips through the overlay conversion's numbers.
    f.planes[0].data.fill(63);
    f.planes[1].data.fill(102);
    f.planes[2].data.fill(240);
    for p in yuv_to_rgb(&f).chunks(3) {
        assert!(p[0] >= 253 && p[1] <= 2 && p[2] <= 2, "{p:?}");
    }
    // Chroma is per 2x2 block: left block neutral, right block red-ish.
    let mut g = Frame::black(4, 2).unwrap();
    g.planes[0].data.fill(126);
    g.planes[2].row_mut(0)[1] = 200;
    let rgb = yuv_to_rgb(&g);
    let (left, right) = (&rgb[0..3], &rgb[9..12]);
    assert_eq!(left[0], left[1]);
    assert!(right[0] > right[1] + 50, "{right:?}");
}
