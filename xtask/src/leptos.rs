//! `[[workspace.metadata.leptos]]` in the workspace `Cargo.toml`, read with cargo-leptos 0.3.10's
//! names and defaults (`config/project.rs`), and the paths and environment they give.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::workspace::{Workspace, WASM_TARGET};
use crate::{BuildOptions, Error};

/// Keys cargo-leptos reads that change nothing in what `build` makes (watching, end-to-end tests,
/// the name of the binary it would run).
const IGNORED_KEYS: &[&str] = &[
    "bin-exe-name",
    "end2end-cmd",
    "end2end-dir",
    "watch-additional-files",
    "reload-ws-protocol",
    "reload-external-port",
    "env",
    "graceful-shutdown",
    "graceful-shutdown-timeout-secs",
    "graceful-shutdown-unix-signal",
    "separate-front-target-dir",
    // lightningcss's vendor prefixes: this tool copies the style sheet as written
    "browserquery",
];

/// One `[[workspace.metadata.leptos]]` entry (only the keys this tool implements; any other key
/// lands in `unsupported` and is refused).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ProjectConfig {
    /// The project name: the output name unless `output-name` or `LEPTOS_OUTPUT_NAME` says otherwise.
    name: String,
    #[serde(default)]
    output_name: String,
    #[serde(default = "default_site_addr")]
    site_addr: String,
    #[serde(default = "default_site_root")]
    site_root: PathBuf,
    #[serde(default = "default_pkg_dir")]
    site_pkg_dir: PathBuf,
    style_file: Option<PathBuf>,
    assets_dir: Option<PathBuf>,
    #[serde(default = "default_reload_port")]
    reload_port: u16,
    bin_package: String,
    #[serde(default)]
    bin_target: String,
    lib_package: String,
    #[serde(default)]
    features: Vec<String>,
    #[serde(default)]
    lib_features: Vec<String>,
    #[serde(default)]
    lib_default_features: bool,
    #[serde(default)]
    bin_features: Vec<String>,
    #[serde(default)]
    bin_default_features: bool,
    #[serde(default)]
    disable_erase_components: bool,
    #[serde(default)]
    always_erase_components: bool,
    #[serde(default)]
    hash_files: bool,
    #[serde(default)]
    js_minify: Option<bool>,
    server_fn_prefix: Option<String>,
    #[serde(default)]
    disable_server_fn_hash: bool,
    #[serde(default)]
    server_fn_mod_path: bool,
    front_target_dir: Option<PathBuf>,
    lib_profile_dev: Option<String>,
    lib_profile_release: Option<String>,
    bin_profile_dev: Option<String>,
    bin_profile_release: Option<String>,
    wasm_opt_features: Option<Vec<String>>,
    #[serde(flatten)]
    unsupported: BTreeMap<String, toml::Value>,
}

fn default_site_addr() -> String {
    "127.0.0.1:3000".into()
}
fn default_site_root() -> PathBuf {
    "target/site".into()
}
fn default_pkg_dir() -> PathBuf {
    "pkg".into()
}
fn default_reload_port() -> u16 {
    3001
}

/// A cargo profile, as cargo-leptos names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Profile {
    /// `dev` (no flag).
    Debug,
    /// `--release`.
    Release,
    /// `--profile=<name>`.
    Named(String),
}

impl Profile {
    fn new(release: bool, release_profile: &Option<String>, dev_profile: &Option<String>) -> Profile {
        match (release, release_profile, dev_profile) {
            (true, Some(name), _) | (false, _, Some(name)) => Profile::Named(name.clone()),
            (true, None, _) => Profile::Release,
            (false, _, None) => Profile::Debug,
        }
    }

    /// The directory cargo writes this profile's output to.
    pub(crate) fn dir_name(&self) -> &str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
            Profile::Named(name) => match name.as_str() {
                "dev" | "test" => "debug",
                "bench" => "release",
                name => name,
            },
        }
    }

    /// Adds the flag that selects this profile.
    pub(crate) fn add_to(&self, command: &mut Command) {
        match self {
            Profile::Debug => {}
            Profile::Release => {
                command.arg("--release");
            }
            Profile::Named(name) => {
                command.arg(format!("--profile={name}"));
            }
        }
    }
}

/// The lib (wasm) or bin (server) package and how to build it.
#[derive(Debug)]
pub(crate) struct Crate {
    /// The package name.
    pub(crate) package: String,
    /// Its directory relative to the workspace root (`LEPTOS_LIB_DIR`, `LEPTOS_BIN_DIR`).
    pub(crate) relative_dir: PathBuf,
    /// Features to enable.
    pub(crate) features: Vec<String>,
    /// Whether the default features stay on.
    pub(crate) default_features: bool,
    /// The profile to build with.
    pub(crate) profile: Profile,
}

/// What `build` makes and where, resolved from the config and `cargo metadata`.
#[derive(Debug)]
pub(crate) struct Project {
    /// The workspace root.
    pub(crate) root: PathBuf,
    /// A release build.
    pub(crate) release: bool,
    /// File stem of the site's wasm, JS and CSS (`openfatture`).
    pub(crate) output_name: String,
    /// The site root, absolute.
    pub(crate) site_root: PathBuf,
    /// The site root as configured (relative to the workspace root), for `LEPTOS_SITE_ROOT`.
    site_root_setting: PathBuf,
    /// The package directory under the site root (`pkg`).
    site_pkg_dir: PathBuf,
    site_addr: String,
    reload_port: u16,
    /// The wasm lib package.
    pub(crate) lib: Crate,
    /// The server package.
    pub(crate) bin: Crate,
    /// The server binary target (`openfatture`).
    pub(crate) bin_target: String,
    /// The target directory of the wasm build (cargo-leptos: `<target>/front`).
    pub(crate) front_target_dir: PathBuf,
    /// The wasm cargo writes.
    pub(crate) wasm_source: PathBuf,
    /// The server binary cargo writes.
    pub(crate) server_exe: PathBuf,
    /// The style sheet, absolute.
    pub(crate) style_file: Option<PathBuf>,
    /// The assets directory, absolute.
    pub(crate) assets_dir: Option<PathBuf>,
    /// Build the server with `--cfg erase_components`.
    pub(crate) erase_components: bool,
    /// wasm-opt's flags (cargo-leptos's `wasm-opt-features`).
    pub(crate) wasm_opt_flags: Vec<String>,
    server_fn_prefix: Option<String>,
    disable_server_fn_hash: bool,
    server_fn_mod_path: bool,
}

impl Project {
    /// Reads the first `[[workspace.metadata.leptos]]` entry of the workspace `Cargo.toml`.
    pub(crate) fn read(workspace: &Workspace, options: BuildOptions) -> Result<Project, Error> {
        let manifest = workspace.workspace_root.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).map_err(Error::io(&manifest))?;
        Project::parse(&text, &manifest, workspace, options, std::env::vars())
    }

    fn parse(
        text: &str,
        manifest: &Path,
        workspace: &Workspace,
        options: BuildOptions,
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<Project, Error> {
        let config = config_from_manifest(text, manifest, vars)?;
        let root = workspace.workspace_root.clone();
        let lib_package = workspace.package(&config.lib_package)?;
        let bin_package = workspace.package(&config.bin_package)?;
        let lib_name = lib_package
            .targets
            .iter()
            .find(|t| t.kind.iter().any(|k| k == "cdylib"))
            .map(|t| t.name.replace('-', "_"))
            .ok_or_else(|| {
                Error::Config(format!(
                    "the lib-package `{}` has no cdylib target: add `crate-type = [\"cdylib\", \"rlib\"]` under [lib] in {}",
                    lib_package.name,
                    lib_package.manifest_path.display()
                ))
            })?;
        let output_name = if config.output_name.is_empty() {
            config.name.clone()
        } else {
            config.output_name.clone()
        };
        let bin_target = if config.bin_target.is_empty() {
            config.bin_package.clone()
        } else {
            config.bin_target.clone()
        };
        let lib_profile = Profile::new(options.release, &config.lib_profile_release, &config.lib_profile_dev);
        let bin_profile = Profile::new(options.release, &config.bin_profile_release, &config.bin_profile_dev);
        let target = &workspace.target_directory;
        let front_target_dir = match &config.front_target_dir {
            None => target.join("front"),
            Some(dir) => root.join(dir),
        };
        let wasm_source = front_target_dir
            .join(WASM_TARGET)
            .join(lib_profile.dir_name())
            .join(format!("{lib_name}.wasm"));
        let server_exe = target
            .join(bin_profile.dir_name())
            .join(format!("{bin_target}{}", std::env::consts::EXE_SUFFIX));
        let mut lib_features = config.lib_features.clone();
        lib_features.extend(config.features.iter().cloned());
        let mut bin_features = config.bin_features.clone();
        bin_features.extend(config.features.iter().cloned());
        Ok(Project {
            release: options.release,
            site_root: root.join(&config.site_root),
            site_root_setting: config.site_root,
            site_pkg_dir: config.site_pkg_dir,
            site_addr: config.site_addr,
            reload_port: config.reload_port,
            lib: Crate {
                package: config.lib_package,
                relative_dir: workspace.relative_dir(lib_package),
                features: lib_features,
                default_features: config.lib_default_features,
                profile: lib_profile,
            },
            bin: Crate {
                package: config.bin_package,
                relative_dir: workspace.relative_dir(bin_package),
                features: bin_features,
                default_features: config.bin_default_features,
                profile: bin_profile,
            },
            bin_target,
            front_target_dir,
            wasm_source,
            server_exe,
            style_file: config.style_file.map(|f| root.join(f)),
            assets_dir: config.assets_dir.map(|d| root.join(d)),
            erase_components: (!config.disable_erase_components && !options.release) || config.always_erase_components,
            wasm_opt_flags: config.wasm_opt_features.unwrap_or_else(|| {
                ["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int"]
                    .map(String::from)
                    .to_vec()
            }),
            server_fn_prefix: config.server_fn_prefix,
            disable_server_fn_hash: config.disable_server_fn_hash,
            server_fn_mod_path: config.server_fn_mod_path,
            output_name,
            root,
        })
    }

    /// The site's package directory, absolute (`target/site/pkg`).
    pub(crate) fn pkg_dir(&self) -> PathBuf {
        self.site_root.join(&self.site_pkg_dir)
    }

    /// A program from npm in `end2end/node_modules/.bin` (what `scripts/setup.sh` installs), else one
    /// of that name on PATH.
    pub(crate) fn npm_tool(&self, name: &str) -> Option<PathBuf> {
        let local = self.root.join("end2end/node_modules/.bin").join(name);
        if local.is_file() {
            return Some(local);
        }
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    }

    /// The site's package directory relative to the site root, for the assets' reserved names.
    pub(crate) fn pkg_dir_name(&self) -> &Path {
        &self.site_pkg_dir
    }

    /// The environment cargo-leptos gives both cargo builds (`Project::to_envs`), minus RUSTFLAGS.
    pub(crate) fn envs(&self) -> Vec<(&'static str, String)> {
        let mut envs = vec![
            ("LEPTOS_OUTPUT_NAME", self.output_name.clone()),
            ("LEPTOS_SITE_ROOT", path_string(&self.site_root_setting)),
            ("LEPTOS_SITE_PKG_DIR", path_string(&self.site_pkg_dir)),
            ("LEPTOS_SITE_ADDR", self.site_addr.clone()),
            ("LEPTOS_RELOAD_PORT", self.reload_port.to_string()),
            ("LEPTOS_LIB_DIR", path_string(&self.lib.relative_dir)),
            ("LEPTOS_BIN_DIR", path_string(&self.bin.relative_dir)),
            // this tool does not minify the JS
            ("LEPTOS_JS_MINIFY", "false".into()),
            ("LEPTOS_HASH_FILES", "false".into()),
        ];
        if let Some(prefix) = &self.server_fn_prefix {
            envs.push(("SERVER_FN_PREFIX", prefix.clone()));
        }
        if self.disable_server_fn_hash {
            envs.push(("DISABLE_SERVER_FN_HASH", "true".into()));
        }
        if self.server_fn_mod_path {
            envs.push(("SERVER_FN_MOD_PATH", "true".into()));
        }
        envs
    }
}

fn path_string(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The one `[[workspace.metadata.leptos]]` entry, refusing keys whose effect this tool lacks.
fn config_from_manifest(
    text: &str,
    manifest: &Path,
    vars: impl Iterator<Item = (String, String)>,
) -> Result<ProjectConfig, Error> {
    let where_ = manifest.display();
    let value: toml::Value =
        toml::from_str(text).map_err(|e| Error::Config(format!("{where_} is not valid TOML: {e}")))?;
    let entries = value
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("leptos"))
        .and_then(|l| l.as_array())
        .ok_or_else(|| Error::Config(format!("{where_} has no [[workspace.metadata.leptos]] entry")))?;
    let [entry] = entries.as_slice() else {
        return Err(Error::Config(format!(
            "{where_} has {} [[workspace.metadata.leptos]] entries; this tool builds exactly one",
            entries.len()
        )));
    };
    let mut config: ProjectConfig = entry
        .clone()
        .try_into()
        .map_err(|e| Error::Config(format!("{where_}, [[workspace.metadata.leptos]]: {e}")))?;
    config
        .unsupported
        .retain(|key, _| !IGNORED_KEYS.contains(&key.as_str()));
    if !config.unsupported.is_empty() {
        let keys: Vec<&str> = config.unsupported.keys().map(String::as_str).collect();
        return Err(Error::Config(format!(
            "{where_}, [[workspace.metadata.leptos]]: `cargo xtask build` does not implement {}; \
             remove them or build with cargo-leptos (`cargo install cargo-leptos --version 0.3.10 --locked`, then `cargo leptos build --split`)",
            keys.join(", ")
        )));
    }
    overlay_env(&mut config, vars)?;
    if config.hash_files {
        return Err(Error::Config(format!(
            "{where_}: hash-files = true is not implemented by `cargo xtask build`; set it to false or build with cargo-leptos"
        )));
    }
    if config.js_minify == Some(true) {
        eprintln!("[xtask] note: js-minify is not implemented; the JS is left as wasm-bindgen writes it");
    }
    if let Some(style) = &config.style_file {
        if style.extension().and_then(|e| e.to_str()) != Some("css") {
            return Err(Error::Config(format!(
                "{where_}: style-file {} is not plain CSS; `cargo xtask build` only copies .css files",
                style.display()
            )));
        }
    }
    Ok(config)
}

/// The `LEPTOS_*` variables cargo-leptos lets the environment override the config with (`config/dotenvs.rs`;
/// `.cargo/config.toml` sets `LEPTOS_OUTPUT_NAME` for every cargo run, this one included).
fn overlay_env(config: &mut ProjectConfig, vars: impl Iterator<Item = (String, String)>) -> Result<(), Error> {
    for (key, value) in vars {
        let bad = |e: &dyn std::fmt::Display| Error::Config(format!("{key}={value}: {e}"));
        match key.as_str() {
            "LEPTOS_OUTPUT_NAME" => config.output_name = value,
            "LEPTOS_SITE_ROOT" => config.site_root = value.into(),
            "LEPTOS_SITE_PKG_DIR" => config.site_pkg_dir = value.into(),
            "LEPTOS_STYLE_FILE" => config.style_file = Some(value.into()),
            "LEPTOS_ASSETS_DIR" => config.assets_dir = Some(value.into()),
            "LEPTOS_SITE_ADDR" => config.site_addr = value,
            "LEPTOS_RELOAD_PORT" => config.reload_port = value.parse().map_err(|e| bad(&e))?,
            "LEPTOS_BIN_TARGET" => config.bin_target = value,
            "LEPTOS_HASH_FILES" => config.hash_files = value.parse().map_err(|e| bad(&e))?,
            "LEPTOS_JS_MINIFY" => config.js_minify = Some(value.parse().map_err(|e| bad(&e))?),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{Package, Target};

    fn workspace() -> Workspace {
        let package = |name: &str, kind: &str| Package {
            name: name.into(),
            manifest_path: PathBuf::from(format!("/ws/{name}/Cargo.toml")),
            targets: vec![Target {
                name: if kind == "bin" {
                    "openfatture".into()
                } else {
                    name.into()
                },
                kind: vec![kind.into()],
            }],
        };
        Workspace {
            workspace_root: "/ws".into(),
            target_directory: "/tgt".into(),
            packages: vec![package("frontend", "cdylib"), package("server", "bin")],
        }
    }

    const MANIFEST: &str = r#"
[workspace]
[[workspace.metadata.leptos]]
name = "openfatture"
bin-package = "server"
bin-target = "openfatture"
bin-exe-name = "openfatture"
lib-package = "frontend"
lib-profile-release = "wasm-release"
style-file = "style/main.css"
assets-dir = "public"
bin-default-features = true
lib-default-features = true
disable-erase-components = true
browserquery = "defaults"
"#;

    fn parse(text: &str, release: bool, vars: &[(&str, &str)]) -> Result<Project, Error> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Project::parse(
            text,
            Path::new("Cargo.toml"),
            &workspace(),
            BuildOptions { release },
            vars.into_iter(),
        )
    }

    #[test]
    fn paths_and_profiles_follow_cargo_leptos() {
        let debug = parse(MANIFEST, false, &[]).unwrap();
        assert_eq!(debug.output_name, "openfatture");
        assert_eq!(
            debug.wasm_source,
            PathBuf::from("/tgt/front/wasm32-unknown-unknown/debug/frontend.wasm")
        );
        assert_eq!(debug.server_exe, PathBuf::from("/tgt/debug/openfatture"));
        assert_eq!(debug.pkg_dir(), PathBuf::from("/ws/target/site/pkg"));
        assert!(!debug.erase_components);
        let envs = debug.envs();
        assert!(envs.contains(&("LEPTOS_OUTPUT_NAME", "openfatture".into())));
        assert!(envs.contains(&("LEPTOS_SITE_ROOT", "target/site".into())));
        assert!(envs.contains(&("LEPTOS_LIB_DIR", "frontend".into())));
        assert!(envs.contains(&("LEPTOS_BIN_DIR", "server".into())));

        let release = parse(MANIFEST, true, &[]).unwrap();
        assert_eq!(release.lib.profile, Profile::Named("wasm-release".into()));
        assert_eq!(release.bin.profile, Profile::Release);
        assert_eq!(
            release.wasm_source,
            PathBuf::from("/tgt/front/wasm32-unknown-unknown/wasm-release/frontend.wasm")
        );
        assert_eq!(release.server_exe, PathBuf::from("/tgt/release/openfatture"));
    }

    #[test]
    fn the_environment_overrides_the_config_as_in_cargo_leptos() {
        let vars = [
            ("LEPTOS_OUTPUT_NAME", "shop"),
            ("LEPTOS_SITE_ROOT", "/srv/site"),
            ("PATH", "/bin"),
        ];
        let overlaid = parse(MANIFEST, false, &vars).unwrap();
        assert_eq!(overlaid.output_name, "shop");
        assert_eq!(overlaid.site_root, PathBuf::from("/srv/site"));
        assert!(matches!(
            parse(MANIFEST, false, &[("LEPTOS_RELOAD_PORT", "x")]),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn keys_it_cannot_honour_are_refused() {
        for extra in [
            "hash-files = true",
            "tailwind-input-file = \"x.css\"",
            "bin-cargo-args = [\"-v\"]",
            "style-file2 = 1",
        ] {
            let text = format!("{MANIFEST}{extra}\n");
            assert!(
                matches!(parse(&text, false, &[]), Err(Error::Config(_))),
                "{extra} was accepted"
            );
        }
        let scss = MANIFEST.replace("style/main.css", "style/main.scss");
        assert!(matches!(parse(&scss, false, &[]), Err(Error::Config(_))));
        assert!(matches!(
            parse(MANIFEST, false, &[("LEPTOS_HASH_FILES", "true")]),
            Err(Error::Config(_))
        ));
    }
}
