//! The real binary's reports when their reader goes away (`syndetect bench |
//! head -1`): the command finishes quietly, with success, and without a
//! panic message.

use std::io::Read;
use std::process::{Command, Stdio};

/// Runs `syndetect args`, reads `keep` bytes of its stdout (none: closes it
/// before the command has anything to say) and closes the pipe; returns
/// whether it exited with success and what it wrote to stderr.
fn run_with_reader_gone(args: &[&str], keep: usize) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_syndetect"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start syndetect");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut head = vec![0u8; keep];
    stdout.read_exact(&mut head).expect("the first bytes");
    drop(stdout);
    let output = child.wait_with_output().expect("syndetect exits");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bench_report_to_a_closed_pipe_is_not_a_panic() {
    // The report comes after the run (a tenth of a second), when the pipe
    // is long closed.
    let (ok, stderr) = run_with_reader_gone(&["bench", "--n", "300"], 0);
    assert!(ok, "exit status; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn gen_corpus_to_a_closed_pipe_stops_quietly() {
    // 20,000 articles are megabytes: far past any pipe's buffer.
    let (ok, stderr) = run_with_reader_gone(&["gen-corpus", "--n", "20000"], 100);
    assert!(ok, "exit status; stderr: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
