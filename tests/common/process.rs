//! The real `syndetect` binary as a child process: started on an ephemeral
//! port, its log collected, stopped with SIGINT or killed with SIGKILL.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `syndetect serve`.
pub struct ServerProcess {
    child: Child,
    /// Where it listens (read from its "ready to serve on" log line).
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

/// What a start that did not reach "ready" left behind.
#[derive(Debug)]
pub struct FailedStart {
    pub status: Option<ExitStatus>,
    pub log: String,
}

/// A fresh, empty directory under the target directory's temp area.
pub fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "syndetect-test-{name}-{}-{nanos}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    dir
}

impl ServerProcess {
    /// Starts `syndetect serve --listen 127.0.0.1:0 ARGS` and waits for its
    /// ready line (at most 60 s), or for it to exit.
    pub fn start(args: &[&str]) -> Result<ServerProcess, FailedStart> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_syndetect"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the syndetect binary");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<SocketAddr>();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = ready_addr(&line) {
                    let _ = tx.send(addr);
                }
                lines.lock().expect("log lock").push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(addr) = rx.recv_timeout(Duration::from_millis(50)) {
                return Ok(ServerProcess { child, addr, log });
            }
            if let Ok(Some(status)) = child.try_wait() {
                // Let the reader thread collect the last lines.
                std::thread::sleep(Duration::from_millis(200));
                let log = log.lock().expect("log lock").join("\n");
                return Err(FailedStart {
                    status: Some(status),
                    log,
                });
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let log = log.lock().expect("log lock").join("\n");
                return Err(FailedStart { status: None, log });
            }
        }
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log lock").join("\n")
    }

    /// Sends SIGINT.
    pub fn sigint(&self) {
        signal(self.child.id(), libc::SIGINT);
    }

    /// Kills it with SIGKILL and reaps it.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// Waits for it to exit (at most `timeout`).
    pub fn wait(mut self, timeout: Duration) -> (Option<ExitStatus>, String) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                _ if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    break None;
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        std::thread::sleep(Duration::from_millis(100));
        (status, self.log())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(pid: u32, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(pid).expect("a pid fits pid_t");
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill({pid}, {signal})");
}

/// The address in a "syndetect ready to serve on ADDR" line.
fn ready_addr(line: &str) -> Option<SocketAddr> {
    let rest = line.split("ready to serve on ").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// The newest write-ahead log in `dir`.
pub fn newest_log(dir: &Path) -> PathBuf {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the data dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("wal-") && n.ends_with(".log"))
        })
        .collect();
    logs.sort();
    logs.pop().expect("a log in the data dir")
}
