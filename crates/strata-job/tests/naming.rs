//! Output-asset naming and sanitising.

use strata_job::{mes_output_asset_name, sanitize_asset_name, Job, FALLBACK_ASSET_NAME};

fn job(name: Option<&str>, attrs: &str) -> Job {
    let name = name
        .map(|n| format!(r#""Name":{},"#, serde_json::Value::from(n)))
        .unwrap_or_default();
    let body = format!(
        "<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset {attrs}>JobOutputAsset(0)</outputAsset></taskBody>"
    );
    Job::from_json(&format!(
        r#"{{{name}"InputMediaAssets":["a.mp4"],"Tasks":[{{"Configuration":"x","MediaProcessorId":"Media Encoder Standard","TaskBody":{}}}]}}"#,
        serde_json::Value::from(body)
    ))
    .unwrap()
}

#[test]
fn asset_name_wins() {
    assert_eq!(
        job(Some("NewJob"), r#"assetName="Sample""#).output_assets()[0].name,
        "Sample"
    );
}

#[test]
fn inner_text_plus_job_name() {
    assert_eq!(
        job(Some("NewJob"), "").output_assets()[0].name,
        "JobOutputAsset(0)_NewJob"
    );
    assert_eq!(
        job(Some("NewJob"), r#"assetName="""#).output_assets()[0].name,
        "JobOutputAsset(0)_NewJob"
    );
}

#[test]
fn inner_text_plus_job_id_without_name() {
    let j = job(None, "");
    let raw = mes_output_asset_name(0, None, None, &j.id.to_string());
    assert_eq!(raw, format!("JobOutputAsset(0)_{}", j.id));
    // The id's colons cannot be in a folder name.
    assert_eq!(
        j.output_assets()[0].name,
        format!("JobOutputAsset(0)_nb_jid_UUID_{}", j.id.uuid())
    );
    let j = job(Some(""), "");
    assert_eq!(
        j.output_assets()[0].name,
        format!("JobOutputAsset(0)_nb_jid_UUID_{}", j.id.uuid())
    );
}

#[test]
fn hostile_names_are_sanitised() {
    assert_eq!(
        job(Some("NewJob"), r#"assetName="../../etc/passwd""#).output_assets()[0].name,
        "___etc_passwd"
    );
    assert_eq!(
        job(Some("../x"), "").output_assets()[0].name,
        "JobOutputAsset(0)___x"
    );
    assert_eq!(sanitize_asset_name(".."), FALLBACK_ASSET_NAME);
    assert_eq!(sanitize_asset_name(""), FALLBACK_ASSET_NAME);
    assert_eq!(sanitize_asset_name(" . "), FALLBACK_ASSET_NAME);
    assert_eq!(sanitize_asset_name("a\\b/c"), "a_b_c");
    assert_eq!(sanitize_asset_name("a\u{0}b\nc"), "a_b_c");
    assert_eq!(sanitize_asset_name("C:\\Windows"), "C__Windows");
    assert_eq!(sanitize_asset_name("CON"), "_CON");
    assert_eq!(sanitize_asset_name("nul.txt"), "_nul.txt");
    assert_eq!(sanitize_asset_name("a...b"), "a_.b");
    assert_eq!(sanitize_asset_name(".hidden"), "hidden");
    let long = "é".repeat(200);
    let s = sanitize_asset_name(&long);
    assert!(s.len() <= 255 && s.chars().all(|c| c == 'é'));
    for hostile in [
        "..",
        "../..",
        "/",
        "\\",
        "a/../b",
        "....//",
        "\u{7f}",
        "x\u{1b}[31m",
    ] {
        let s = sanitize_asset_name(hostile);
        assert!(
            !s.is_empty()
                && !s.contains('/')
                && !s.contains('\\')
                && !s.contains("..")
                && !s.chars().any(char::is_control),
            "{hostile:?} -> {s:?}"
        );
    }
}
