//! Running `cargo build` with the arguments and environment cargo-leptos 0.3.10 gives it
//! (`compile/front.rs`, `compile/server.rs`, `config/project.rs`).

use std::process::{Child, Command};

use crate::leptos::Project;
use crate::workspace::{cargo_program, describe, Workspace, WASM_TARGET};
use crate::Error;

/// The rustflag wasm splitting needs: relocations kept in the linked wasm.
const SPLIT_RUSTFLAG: &str = "-Clink-args=--emit-relocs";

/// What `cargo run` sets for the program it runs (this one), not for the builds it starts.
fn is_run_variable(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
        )
}

/// A `cargo` command in the workspace root, without the variables `cargo run` gave this tool: build
/// scripts track some of them (ring's, `CARGO_MANIFEST_DIR`), so passing them on would rebuild
/// everything above ring on each switch between `cargo xtask build` and plain cargo.
fn cargo_command(workspace: &Workspace) -> Command {
    let mut command = Command::new(cargo_program());
    command.current_dir(&workspace.workspace_root);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(is_run_variable) {
            command.env_remove(&name);
        }
    }
    command
}

/// A `cargo build` to run.
pub(crate) struct Build {
    command: Command,
}

impl Build {
    /// `cargo build` of the wasm lib, as cargo-leptos's `build_cargo_front_cmd` with `--split`.
    pub(crate) fn front(workspace: &Workspace, project: &Project) -> Build {
        let mut command = cargo_command(workspace);
        command
            .arg("build")
            .arg(format!("--package={}", project.lib.package))
            .arg("--lib")
            .arg(format!("--target-dir={}", project.front_target_dir.display()))
            .arg(format!("--target={WASM_TARGET}"));
        features(&mut command, &project.lib);
        project.lib.profile.add_to(&mut command);
        for (name, value) in project.envs() {
            command.env(name, value);
        }
        // cargo-leptos sets RUSTFLAGS to the configured wasm rustflags plus this flag. Without
        // RUSTFLAGS in the environment, `--config` adds it to the ones .cargo/config.toml gives.
        // Also the remapping of this machine's Cargo and rustup homes, wherever they are: the
        // config file can only list the usual places, and panic locations in the wasm name every
        // dependency's source path.
        let mut flags = vec![SPLIT_RUSTFLAG.to_string()];
        flags.extend(home_remaps());
        match std::env::var("RUSTFLAGS") {
            Ok(given) if !given.trim().is_empty() => {
                command.env("RUSTFLAGS", format!("{} {}", given.trim(), flags.join(" ")));
            }
            _ => {
                let quoted: Vec<String> = flags.iter().map(|f| toml_string(f)).collect();
                command.arg(format!(
                    "--config=target.{WASM_TARGET}.rustflags=[{}]",
                    quoted.join(",")
                ));
            }
        }
        Build { command }
    }

    /// `cargo build` of the gateway binary, as cargo-leptos's `build_cargo_server_cmd`.
    pub(crate) fn server(workspace: &Workspace, project: &Project) -> Build {
        let mut command = cargo_command(workspace);
        command
            .arg("build")
            .arg(format!("--package={}", project.bin.package))
            .arg(format!("--bin={}", project.bin_target));
        features(&mut command, &project.bin);
        project.bin.profile.add_to(&mut command);
        for (name, value) in project.envs() {
            command.env(name, value);
        }
        if project.erase_components {
            let flags = std::env::var("RUSTFLAGS").unwrap_or_default();
            command.env("RUSTFLAGS", format!("{flags} --cfg erase_components").trim());
        }
        Build { command }
    }

    /// Runs the build to its end.
    pub(crate) fn run(self) -> Result<(), Error> {
        self.spawn()?.wait()
    }

    /// Starts the build.
    pub(crate) fn spawn(mut self) -> Result<Running, Error> {
        let line = describe(&self.command);
        eprintln!("[xtask] {line}");
        let child = self.command.spawn().map_err(|source| Error::Spawn {
            program: line.clone(),
            source,
        })?;
        Ok(Running { line, child })
    }
}

fn features(command: &mut Command, package: &crate::leptos::Crate) {
    if !package.default_features {
        command.arg("--no-default-features");
    }
    if !package.features.is_empty() {
        command.arg(format!("--features={}", package.features.join(",")));
    }
}

/// A started `cargo build`.
pub(crate) struct Running {
    line: String,
    child: Child,
}

impl Running {
    /// Waits for the build; an error if it failed.
    pub(crate) fn wait(mut self) -> Result<(), Error> {
        let status = self.child.wait().map_err(|source| Error::Spawn {
            program: self.line.clone(),
            source,
        })?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::Failed {
                command: self.line,
                status,
            })
        }
    }

    /// Stops the build (another part of the build failed).
    pub(crate) fn stop(mut self) {
        // it may have ended already: nothing to report either way
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `--remap-path-prefix` flags that hide this machine's Cargo home (`CARGO_HOME`, else
/// `~/.cargo`) and rustup home (`RUSTUP_HOME`, else `~/.rustup`) from the wasm.
fn home_remaps() -> Vec<String> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let dir = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(default)))
    };
    [
        (dir("CARGO_HOME", ".cargo"), "/cargo"),
        (dir("RUSTUP_HOME", ".rustup"), "/rustup"),
    ]
    .into_iter()
    .filter_map(|(from, to)| from.map(|from| format!("--remap-path-prefix={}={to}", from.display())))
    .collect()
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_homes_are_remapped_and_quoted_for_toml() {
        assert_eq!(toml_string(r#"a"b\c"#), r#""a\"b\\c""#);
        let remaps = home_remaps();
        assert!(remaps.iter().any(|f| f.ends_with("=/cargo")), "{remaps:?}");
    }

    #[test]
    fn variables_cargo_run_sets_for_this_tool_are_not_passed_on() {
        for name in [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION",
            "CARGO_CRATE_NAME",
            "CARGO_PRIMARY_PACKAGE",
        ] {
            assert!(is_run_variable(name), "{name}");
        }
        for name in [
            "CARGO_TARGET_DIR",
            "CARGO_HOME",
            "CARGO",
            "CARGO_BUILD_JOBS",
            "LEPTOS_OUTPUT_NAME",
            "RUSTFLAGS",
        ] {
            assert!(!is_run_variable(name), "{name}");
        }
    }
}
