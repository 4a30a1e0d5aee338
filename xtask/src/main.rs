//! `cargo xtask build [--release]`: builds the site and the gateway as `cargo leptos build --split`
//! (cargo-leptos 0.3.10) does for this workspace, with nothing to install but the wasm target.
//!
//! 1. reads `[[workspace.metadata.leptos]]` in the workspace `Cargo.toml`;
//! 2. empties the site root, starts the server build (`cargo build -p server --bin openfatture`) and,
//!    meanwhile, builds the wasm (`cargo build -p frontend --lib --target wasm32-unknown-unknown`
//!    into `<target>/front`, the directory cargo-leptos uses, so both tools share that build);
//! 3. splits the lazily loaded chunks out of the wasm (`wasm_split_cli_support`, the library
//!    cargo-leptos uses), runs wasm-bindgen in-process (`wasm-bindgen-cli-support`) and, in release,
//!    `wasm-opt` from `end2end/node_modules/.bin` (npm binaryen);
//! 4. copies the style sheet to `<site>/pkg/<output-name>.css` and the assets into the site root;
//! 5. in release, minifies the JavaScript and the style sheet with esbuild (npm, in `end2end/`).
//!
//! Not done, unlike cargo-leptos: the CSS gets no vendor prefixes (cargo-leptos reprints it with
//! lightningcss).

mod cargo;
mod front;
mod leptos;
mod minify;
mod site;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Everything that can stop a build, each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The command line is not one this tool understands.
    #[error("{0}\nusage: cargo xtask build [--release]")]
    Usage(String),
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The workspace manifest or `cargo metadata` does not say what the build needs.
    #[error("{0}")]
    Config(String),
    /// A program could not be started.
    #[error("could not start `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// A program ran and failed.
    #[error("`{command}` failed ({status})")]
    Failed {
        /// The command line.
        command: String,
        /// How it ended.
        status: std::process::ExitStatus,
    },
    /// Splitting the wasm into lazily loaded chunks failed.
    #[error("splitting the wasm failed: {0}")]
    Split(String),
    /// wasm-bindgen failed.
    #[error("wasm-bindgen failed: {0}")]
    Bindgen(String),
    /// A release build needs wasm-opt and there is none.
    #[error(
        "wasm-opt not found in end2end/node_modules/.bin or on PATH: run `bash scripts/setup.sh` \
         (it installs npm binaryen in end2end/)"
    )]
    NoWasmOpt,
    /// A release build minifies with esbuild and there is none.
    #[error(
        "esbuild not found in end2end/node_modules/.bin or on PATH: run `bash scripts/setup.sh` \
         (it installs npm esbuild in end2end/)"
    )]
    NoEsbuild,
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

/// What `build` was asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BuildOptions {
    /// Release build: the `release` profile for the server, `lib-profile-release` and wasm-opt for the wasm.
    pub(crate) release: bool,
}

fn parse_args(args: &[String]) -> Result<BuildOptions, Error> {
    let Some((command, flags)) = args.split_first() else {
        return Err(Error::Usage("no command given".into()));
    };
    if command != "build" {
        return Err(Error::Usage(format!("unknown command `{command}`")));
    }
    let mut options = BuildOptions { release: false };
    for flag in flags {
        match flag.as_str() {
            "--release" | "-r" => options.release = true,
            // what scripts used to pass to cargo-leptos: this tool always splits
            "--split" => {}
            other => return Err(Error::Usage(format!("unknown option `{other}`"))),
        }
    }
    Ok(options)
}

fn build(options: BuildOptions) -> Result<(), Error> {
    let started = Instant::now();
    let workspace = workspace::Workspace::locate()?;
    let project = leptos::Project::read(&workspace, options)?;
    site::empty_dir(&project.site_root)?;

    // The server and the wasm build in different target directories, so they run side by side
    // (as in cargo-leptos); the server's output is its own.
    let server = cargo::Build::server(&workspace, &project).spawn()?;
    let front = front::build(&workspace, &project)
        .and_then(|()| site::style(&project))
        .and_then(|()| site::assets(&project))
        .and_then(|()| {
            if project.release {
                minify::minify(&project)
            } else {
                Ok(())
            }
        });
    if let Err(error) = front {
        server.stop();
        return Err(error);
    }
    server.wait()?;

    eprintln!(
        "[xtask] built {} and {} in {:.1} s",
        project.site_root.display(),
        project.server_exe.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse_args(&args).and_then(build) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("[xtask] error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn release_flag_is_read_and_unknown_flags_refused() {
        assert!(!parse_args(&args(&["build"])).unwrap().release);
        assert!(parse_args(&args(&["build", "--release", "--split"])).unwrap().release);
        assert!(matches!(
            parse_args(&args(&["build", "--relase"])),
            Err(Error::Usage(_))
        ));
        assert!(matches!(parse_args(&args(&["watch"])), Err(Error::Usage(_))));
        assert!(matches!(parse_args(&[]), Err(Error::Usage(_))));
    }
}
