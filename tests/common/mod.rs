//! A spanscope process in a real pseudo-terminal, its screen read back through a terminal
//! emulator (vt100). Shared by the end-to-end tests.

#![allow(clippy::unwrap_used, dead_code)]

pub mod venv;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A spanscope process in a PTY, with the emulated screen it draws.
pub struct Session {
    pub parser: Arc<Mutex<vt100::Parser>>,
    pub raw: Arc<Mutex<Vec<u8>>>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
}

pub fn timeout() -> Duration {
    let scale: u64 = std::env::var("SPANSCOPE_TEST_TIMEOUT_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    Duration::from_secs(15 * scale)
}

impl Session {
    pub fn start(args: &[&str], cols: u16, rows: u16) -> Session {
        Session::start_env(args, cols, rows, &[])
    }

    pub fn start_env(args: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_spanscope"));
        cmd.args(args);
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        cmd.env("TERM", "xterm-256color");
        cmd.env("TZ", "UTC");
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("TMUX");
        // no configuration file of the user's: the defaults unless a test gives one
        cmd.env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"));
        // nor spools in the user's cache: a live session's spool goes under the target dir
        cmd.env("XDG_CACHE_HOME", env!("CARGO_TARGET_TMPDIR"));
        cmd.env_remove("SPANSCOPE_CONFIG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn spanscope");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            rows.try_into().unwrap(),
            cols.try_into().unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (Arc::clone(&parser), Arc::clone(&raw));
        std::thread::spawn(move || {
            let _keep_master_open = pty.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Session {
            parser,
            raw,
            writer,
            child,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + timeout();
        while Instant::now() < deadline {
            if self.screen().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "timed out waiting for {text:?}; the screen is:\n{}",
            self.screen()
        );
    }

    pub fn wait_gone(&self, text: &str) {
        let deadline = Instant::now() + timeout();
        while Instant::now() < deadline {
            if !self.screen().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "timed out waiting for {text:?} to go; the screen is:\n{}",
            self.screen()
        );
    }

    pub fn keys(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Wait for the process to exit by itself; kill it on timeout.
    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + timeout();
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("spanscope did not exit; the screen is:\n{}", self.screen());
    }

    /// `q`, then a successful exit with the terminal given back.
    pub fn quit_cleanly(&mut self) {
        self.keys("q");
        let status = self.wait_exit();
        assert!(status.success(), "exit status {status:?}");
        self.assert_restored();
    }

    /// The terminal was given back: alternate screen left, cursor shown again.
    pub fn assert_restored(&self) {
        // let the reader thread drain what the process wrote last
        std::thread::sleep(Duration::from_millis(100));
        let raw = self.raw.lock().unwrap();
        let text = String::from_utf8_lossy(&raw);
        let entered = text
            .find("\x1b[?1049h")
            .expect("the explorer used the alternate screen");
        let left = text
            .rfind("\x1b[?1049l")
            .expect("the alternate screen was left");
        assert!(left > entered);
        assert!(
            text[left..].contains("\x1b[?25h") || text.rfind("\x1b[?25h") > Some(entered),
            "cursor shown"
        );
        assert!(!self.parser.lock().unwrap().screen().alternate_screen());
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// POST `body` to a receiver at `addr` (`path`, with `content_type`); the status answered.
pub fn post(addr: &str, path: &str, content_type: &str, body: &[u8]) -> u16 {
    use std::io::{BufRead, BufReader};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest);
    status.split_whitespace().nth(1).unwrap().parse().unwrap()
}

impl Session {
    /// The address of the receiver the status bar shows (`receiver 127.0.0.1:PORT`, or
    /// `receiver :PORT` when the bar is short of room and leaves the loopback host out).
    pub fn receiver_addr(&self) -> String {
        self.wait_for("(listening");
        let screen = self.screen();
        let at = screen
            .find("receiver ")
            .expect("a receiver in the status bar")
            + 9;
        let addr = screen[at..].split_whitespace().next().expect("an address");
        match addr.strip_prefix(':') {
            Some(port) => format!("127.0.0.1:{port}"),
            None => addr.to_string(),
        }
    }

    /// Kill the process without a chance to clean up (SIGKILL), and wait for it to be gone.
    pub fn kill_hard(&mut self) {
        let pid = self.child.process_id().expect("a process id");
        let status = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + timeout();
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the process did not die");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A `spanscope record` on free ports, as its first line of stderr announced them.
pub struct Recording {
    pub child: std::process::Child,
    /// The rest of its stderr (the exit summary, once it is stopped).
    pub err: std::io::BufReader<std::process::ChildStderr>,
    /// The OTLP/HTTP endpoint (`http://127.0.0.1:PORT`).
    pub http: String,
    /// The OTLP/gRPC endpoint.
    pub grpc: String,
}

/// A `spanscope record` writing to `out`, receiving OTLP/HTTP and OTLP/gRPC on free ports.
pub fn record_to(out: &std::path::Path) -> Recording {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args([
            "record",
            "--http",
            "127.0.0.1:0",
            "--grpc",
            "127.0.0.1:0",
            "--out",
        ])
        .arg(out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    let after = |marker: &str| {
        let at = first
            .split(marker)
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {marker:?} in {first}"));
        format!("http://{at}")
    };
    Recording {
        http: after("http://"),
        grpc: after("OTLP/gRPC on "),
        child,
        err,
    }
}
