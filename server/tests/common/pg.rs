//! A real PostgreSQL server for tests, from Debian's `postgresql` package: `initdb` in a temporary
//! directory, `postgres` listening on a free loopback port (and a socket in that directory), torn
//! down when dropped. As root (CI), the server runs as the `postgres` system user, since PostgreSQL
//! refuses to run as root.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A running PostgreSQL cluster.
pub struct PgServer {
    dir: TempDir,
    port: u16,
    child: Child,
}

/// Where Debian installs the server programs (they are not on PATH there).
fn bin_dir() -> Result<PathBuf, String> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("PostgreSQL is not installed (/usr/lib/postgresql: {e}); run `bash scripts/setup.sh` or `apt-get install postgresql`"))?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| "no PostgreSQL server programs under /usr/lib/postgresql/*/bin".to_string())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// A command run as the `postgres` user when we are root.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl PgServer {
    /// Creates and starts a fresh cluster with a `test` database; fails with a message saying
    /// what is missing.
    pub fn start() -> Result<PgServer, String> {
        let bin = bin_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("openfatture-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .map_err(|e| e.to_string())?;
            if !status.success() {
                return Err("cannot hand the test cluster's directory to the postgres user".into());
            }
        }
        let data = dir.path().join("data");
        let output = as_server_user(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "-D"])
            .arg(&data)
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if !output.status.success() {
            return Err(format!("initdb failed: {}", String::from_utf8_lossy(&output.stderr)));
        }
        let port = free_port()?;
        let child = as_server_user(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ])
            .arg("-k")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("PG_TEST_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .map_err(|e| format!("cannot start postgres: {e}"))?;
        let server = PgServer { dir, port, child };
        server.wait_ready(&bin)?;
        let created = as_server_user(&bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "test"])
            .output()
            .map_err(|e| format!("cannot run createdb: {e}"))?;
        if !created.status.success() {
            return Err(format!("createdb failed: {}", String::from_utf8_lossy(&created.stderr)));
        }
        Ok(server)
    }

    fn wait_ready(&self, bin: &Path) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("postgres did not start on port {} within 30 s", self.port));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// URL of the `test` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/test", self.port)
    }

    /// Creates another empty database and returns its URL.
    pub fn new_database(&self, name: &str) -> Result<String, String> {
        let bin = bin_dir()?;
        let created = as_server_user(&bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", name])
            .output()
            .map_err(|e| format!("cannot run createdb: {e}"))?;
        if !created.status.success() {
            return Err(format!(
                "createdb {name} failed: {}",
                String::from_utf8_lossy(&created.stderr)
            ));
        }
        Ok(format!("postgres://postgres@127.0.0.1:{}/{name}", self.port))
    }

    /// The cluster's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // A fast shutdown through pg_ctl (signals to `runuser` would not reach the server).
        if let Ok(bin) = bin_dir() {
            let _ = as_server_user(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.dir.path().join("data"))
                .args(["stop", "-m", "fast", "-w", "-t", "10"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
