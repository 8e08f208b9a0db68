//! `keepsake bench upload`, `ledger`, `label` and `api` still run end to end (small sizes; the numbers
//! are not judged here — they belong in the issue notes, measured on a release build).

/// `keepsake bench ARGS…`: it succeeds; what it printed.
fn bench(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .arg("bench")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run the benchmark");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_upload_benchmark_runs_against_a_real_server() {
    let stdout = bench(&[
        "upload",
        "--size-mib",
        "40",
        "--concurrent",
        "2",
        "--probe-mib",
        "8",
        "--parallel-parts",
        "2",
        "--rounds",
        "1",
    ]);
    for line in [
        "through the whole flow",
        "raw presigned PUT",
        "raw multipart upload",
        "server RSS",
        "bytes read from the store",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[test]
fn the_ledger_benchmark_appends_and_verifies() {
    let stdout = bench(&[
        "ledger",
        "--events",
        "200",
        "--orders",
        "20",
        "--writers",
        "2",
    ]);
    assert!(stdout.contains("append: 200 events"), "{stdout}");
    assert!(
        stdout.contains("verify: 200 events") && stdout.contains("ok = true"),
        "{stdout}"
    );
}

#[test]
fn the_board_benchmark_seeds_measures_and_sweeps() {
    let stdout = bench(&[
        "board",
        "--sizes",
        "500,1500",
        "--open",
        "200",
        "--samples",
        "12",
        "--sweep-open",
        "300",
        "--due",
        "50",
    ]);
    for line in [
        "board at 500 orders",
        "board at 1500 orders",
        "desk page's reads at 1500 orders",
        "p95 ratio",
        "looked at 50 in",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[test]
fn the_label_benchmark_copies_and_labels_through_the_store() {
    let stdout = bench(&[
        "label",
        "--video-mib",
        "20",
        "--photo-mib",
        "2",
        "--rounds",
        "1",
    ]);
    for line in [
        "MP4 20 MiB: plain copy",
        "JPEG 2 MiB: plain copy",
        "KiB labeling",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[test]
fn the_api_benchmark_creates_lists_and_measures_the_direct_floor() {
    let mut args = vec!["api", "--clients", "2", "--seconds", "1"];
    // On the PostgreSQL run, on PostgreSQL (in a scratch database of its own).
    let url = std::env::var("TEST_DATABASE_URL").ok();
    if let Some(url) = &url {
        args.extend(["--database-url", url]);
    }
    let stdout = bench(&args);
    for line in [
        "API creates",
        "direct writes",
        "ratio API / direct",
        "API list of 100",
        "server RSS: idle",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}
