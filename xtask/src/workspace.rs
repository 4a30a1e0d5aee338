//! The workspace as `cargo metadata` describes it, and the cargo this tool runs.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;

use crate::Error;

/// The wasm target.
pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The workspace as `cargo metadata` describes it.
#[derive(Debug, Deserialize)]
pub(crate) struct Workspace {
    /// The directory of the workspace `Cargo.toml`.
    pub(crate) workspace_root: PathBuf,
    /// The target directory (honours `CARGO_TARGET_DIR` and `.cargo/config.toml`).
    pub(crate) target_directory: PathBuf,
    /// The workspace members.
    pub(crate) packages: Vec<Package>,
}

/// A workspace member.
#[derive(Debug, Deserialize)]
pub(crate) struct Package {
    /// The package name.
    pub(crate) name: String,
    /// Its `Cargo.toml`.
    pub(crate) manifest_path: PathBuf,
    /// Its lib, bin, test… targets.
    pub(crate) targets: Vec<Target>,
}

/// A build target of a package.
#[derive(Debug, Deserialize)]
pub(crate) struct Target {
    /// The target name (for a lib, the crate name).
    pub(crate) name: String,
    /// Its kinds (`lib`, `cdylib`, `bin`…).
    pub(crate) kind: Vec<String>,
}

/// The cargo that runs this tool (`CARGO`), or the one on PATH.
pub(crate) fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

impl Workspace {
    /// Asks `cargo metadata` about the workspace this tool belongs to.
    pub(crate) fn locate() -> Result<Workspace, Error> {
        // `cargo run` sets CARGO_MANIFEST_DIR for the program too; the compiled-in one is the fallback.
        let xtask_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let manifest = xtask_dir
            .parent()
            .map(|root| root.join("Cargo.toml"))
            .ok_or_else(|| Error::Config(format!("{} has no parent directory", xtask_dir.display())))?;
        let mut command = Command::new(cargo_program());
        command
            .args(["metadata", "--no-deps", "--format-version=1", "--manifest-path"])
            .arg(&manifest);
        let line = describe(&command);
        let output = command.output().map_err(|source| Error::Spawn {
            program: line.clone(),
            source,
        })?;
        if !output.status.success() {
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
            return Err(Error::Failed {
                command: line,
                status: output.status,
            });
        }
        serde_json::from_slice(&output.stdout)
            .map_err(|e| Error::Config(format!("`{line}` printed something unexpected: {e}")))
    }

    /// The workspace member called `name`.
    pub(crate) fn package(&self, name: &str) -> Result<&Package, Error> {
        self.packages.iter().find(|p| p.name == name).ok_or_else(|| {
            Error::Config(format!(
                "no workspace member is called `{name}` (Cargo.toml, [[workspace.metadata.leptos]])"
            ))
        })
    }

    /// The directory of `package` relative to the workspace root (`frontend`, `server`).
    pub(crate) fn relative_dir(&self, package: &Package) -> PathBuf {
        let dir = package.manifest_path.parent().unwrap_or(&self.workspace_root);
        dir.strip_prefix(&self.workspace_root).unwrap_or(dir).to_path_buf()
    }
}

/// The command line, for messages.
pub(crate) fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
