//! The AI label inside the file, read by an independent reader: Debian's `exiftool` finds the
//! GB 45438 `AIGC` entry (the TC260 XMP property) in every supported format Keepsake labels.
//! Without exiftool the test says why it was skipped; with `CI=true` a missing exiftool fails
//! it (`.ci/run` installs it).

use bytes::Bytes;
use keepsake::labels::{self, AigcLabel};
use keepsake::media::{MediaType, samples};

fn exiftool() -> Option<&'static str> {
    let found = std::process::Command::new("exiftool")
        .arg("-ver")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "exiftool is missing (apt-get install libimage-exiftool-perl)"
        );
        eprintln!("skipped: no exiftool on this machine");
        return None;
    }
    Some("exiftool")
}

#[tokio::test]
async fn exiftool_reads_the_aigc_entry_from_every_labeled_format() {
    let Some(tool) = exiftool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let label = AigcLabel::generated(
        "Keepsake Studio",
        "content-7f3a",
        "Keepsake",
        "KS-2026-000042",
    );
    for (name, media, original) in [
        ("photo.jpg", MediaType::Jpeg, samples::jpeg(640, 480)),
        ("photo.png", MediaType::Png, samples::png(320, 200)),
        (
            "video.mp4",
            MediaType::Mp4,
            samples::mp4(640, 360, 2_000, true, 4096),
        ),
        ("voice.m4a", MediaType::M4a, samples::m4a(1_500)),
        ("voice.wav", MediaType::Wav, samples::wav(1_000, 16_000)),
        ("voice.mp3", MediaType::Mp3, samples::mp3_cbr(3_000, 128)),
    ] {
        let source = Bytes::from(original);
        let splice = labels::plan(media, &source, &label).await.unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, splice.to_vec(&source).await.unwrap()).unwrap();
        let out = std::process::Command::new(tool)
            .args(["-j", "-XMP:all"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // exiftool names a property of a namespace it has no table for by its spelling,
        // capitalised its own way ("Aigc").
        let aigc = json[0]
            .as_object()
            .and_then(|tags| tags.iter().find(|(k, _)| k.eq_ignore_ascii_case("AIGC")))
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{name}: exiftool found no AIGC entry: {json}"));
        let read: AigcLabel = serde_json::from_str(aigc).unwrap();
        assert_eq!(read, label, "{name}");
    }
}
