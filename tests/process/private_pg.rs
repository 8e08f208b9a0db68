//! A throwaway PostgreSQL cluster of one test's own, on a free port, which the test may stop
//! and start under load (the machine's shared server is never touched: other tests use it).
//!
//! `initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user and
//! every command runs through `runuser -u postgres`; as anyone else it runs as that user.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PrivateCluster {
    bin: PathBuf,
    data: PathBuf,
    pub port: u16,
    options: String,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

/// Where the server binaries are, if PostgreSQL is installed.
fn binaries() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn free_port() -> u16 {
    // Bound and released at once: the cluster takes it a moment later (a free port, not a
    // fixed one; the window in which another process could take it is a few milliseconds).
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl PrivateCluster {
    /// Create and start a cluster, or say why it cannot run here.
    pub fn start() -> Result<Self, String> {
        let bin = binaries().ok_or("no PostgreSQL server binaries under /usr/lib/postgresql")?;
        let as_postgres = std::fs::metadata("/proc/self")
            .map_err(|e| e.to_string())?
            .uid()
            == 0;
        if as_postgres
            && Command::new("id")
                .arg("postgres")
                .output()
                .map(|o| !o.status.success())
                .unwrap_or(true)
        {
            return Err(
                "running as root and there is no `postgres` user to own the cluster".into(),
            );
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        if as_postgres {
            run(Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path()))?;
        }
        let data = dir.path().join("data");
        let port = free_port();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off",
            dir.path().display()
        );
        let cluster = Self {
            bin,
            data,
            port,
            options,
            as_postgres,
            _dir: dir,
        };
        cluster.pg(
            &cluster.bin.join("initdb"),
            &["-A", "trust", "-U", "postgres", "--no-sync", "-D"],
            Some(&cluster.data),
        )?;
        cluster.start_again()?;
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:{port}/postgres`
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl -m fast stop`: sessions are ended, the server is gone until started again.
    pub fn stop(&self) -> Result<(), String> {
        let ctl = self.bin.join("pg_ctl");
        self.pg(&ctl, &["-m", "fast", "-w", "stop", "-D"], Some(&self.data))
    }

    pub fn start_again(&self) -> Result<(), String> {
        let ctl = self.bin.join("pg_ctl");
        let log = self.data.with_file_name("server.log");
        let log = log.display().to_string();
        let options = self.options.clone();
        self.pg(
            &ctl,
            &["-w", "-t", "60", "-l", &log, "-o", &options, "start", "-D"],
            Some(&self.data),
        )
    }

    fn pg(&self, program: &Path, args: &[&str], data: Option<&Path>) -> Result<(), String> {
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args);
        if let Some(data) = data {
            command.arg(data);
        }
        run(&mut command)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let ctl = self.bin.join("pg_ctl");
        let _ = self.pg(
            &ctl,
            &["-m", "immediate", "-w", "stop", "-D"],
            Some(&self.data),
        );
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}
