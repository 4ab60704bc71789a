//! `syndetect eval`: in-process and over-gRPC runs give identical verdicts, and
//! the Rust scorer agrees with `eval/score.py` on the same predictions.

mod common;

use std::path::Path;
use std::process::Command;

use syndetect::eval::{read_jsonl, run_in_process, run_remote, score, LabeledArticle};
use syndetect::index::{Index, IndexConfig};

/// The first `n` lines of the development set: copies and their originals,
/// hard negatives included.
fn dev_slice(n: usize) -> Vec<LabeledArticle> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/dev.jsonl");
    let mut all = read_jsonl(&path).expect("eval/dev.jsonl is readable");
    all.truncate(n);
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_mode_gives_the_same_verdicts_as_in_process() {
    let stream = dev_slice(600);
    let local = {
        let index = Index::in_memory(IndexConfig::default()).unwrap();
        let s = stream.clone();
        tokio::task::spawn_blocking(move || run_in_process(&index, &s, 0))
            .await
            .unwrap()
    };
    let server = common::start().await;
    let remote = run_remote(&server.addr.to_string(), &stream).await.unwrap();
    assert_eq!(local.predictions.len(), stream.len());
    assert_eq!(local.predictions, remote.predictions);
    // The slice holds copies, and the run finds some: the comparison is not vacuous.
    assert!(
        local
            .predictions
            .iter()
            .filter(|p| p.verdict == "copy")
            .count()
            > 50
    );
}

#[test]
fn rust_scorer_agrees_with_score_py() {
    let stream = dev_slice(800);
    let index = Index::in_memory(IndexConfig::default()).unwrap();
    let run = run_in_process(&index, &stream, 0);
    let report = score(&stream, &run.predictions);

    let dir = std::env::temp_dir().join(format!("syndetect-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stream_path = dir.join("stream.jsonl");
    let pred_path = dir.join("pred.jsonl");
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/dev.jsonl"))
            .unwrap();
    let head: Vec<&str> = source.lines().take(800).collect();
    std::fs::write(&stream_path, head.join("\n") + "\n").unwrap();
    let preds: Vec<String> = run
        .predictions
        .iter()
        .map(|p| serde_json::to_string(p).unwrap())
        .collect();
    std::fs::write(&pred_path, preds.join("\n") + "\n").unwrap();

    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/score.py"))
        .arg(&stream_path)
        .arg(&pred_path)
        .output()
        .expect("python3 runs eval/score.py (python3 is part of the toolchain image)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours = serde_json::to_value(&report).unwrap();
    for key in [
        "n",
        "copies",
        "precision",
        "recall",
        "f1",
        "distinct_fpr",
        "wrong_match",
        "missing",
        "recall_by_kind",
        "hard_negative_fpr",
    ] {
        assert_eq!(
            ours[key], py[key],
            "{key}: ours {} vs score.py {}",
            ours[key], py[key]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
