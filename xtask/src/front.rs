//! The browser side: wasm build, split, wasm-bindgen and (release) wasm-opt, as cargo-leptos
//! 0.3.10's `compile/front.rs` and `wasm_split_tools` do with `--split`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cargo::Build;
use crate::leptos::Project;
use crate::workspace::{describe, Workspace};
use crate::Error;

/// The module the split chunks import their loaders from (cargo-leptos's name, kept so the layout matches).
const LINK_NAME: &str = "./__wasm_split.______________________.js";

/// Builds the wasm and writes `<site>/pkg/<output-name>.{js,wasm,d.ts}`, `<output-name>_bg.wasm.d.ts`,
/// the split chunks, their loader and `__wasm_split_manifest.json`.
pub(crate) fn build(workspace: &Workspace, project: &Project) -> Result<(), Error> {
    Build::front(workspace, project).run()?;
    let pkg_dir = project.pkg_dir();
    std::fs::create_dir_all(&pkg_dir).map_err(Error::io(&pkg_dir))?;

    let input = std::fs::read(&project.wasm_source).map_err(Error::io(&project.wasm_source))?;
    let split_main = split_main_path(&project.wasm_source)?;
    let mut wasm_files = split(project, &input, &split_main, &pkg_dir)?;
    drop(input);

    bindgen(project, &split_main, &pkg_dir)?;
    // cargo-leptos renames `<name>_bg.wasm` to `<name>.wasm`: leptos's HydrationScripts loads that name
    let bindgen_wasm = pkg_dir.join(format!("{}_bg.wasm", project.output_name));
    let site_wasm = pkg_dir.join(format!("{}.wasm", project.output_name));
    std::fs::rename(&bindgen_wasm, &site_wasm).map_err(Error::io(&bindgen_wasm))?;
    wasm_files.insert(0, site_wasm);

    if project.release {
        optimize(project, &wasm_files)?;
    }
    Ok(())
}

/// `<dir>/<stem>_split.wasm` next to the cargo output: the main module after splitting.
fn split_main_path(source: &Path) -> Result<PathBuf, Error> {
    let stem = source
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| Error::Config(format!("{} has no file name", source.display())))?;
    Ok(source.with_file_name(format!("{stem}_split.wasm")))
}

/// Splits the lazily loaded parts out of `input`: the main module goes to `split_main`, the chunks
/// and their loader to `pkg_dir`. Returns the chunks.
fn split(project: &Project, input: &[u8], split_main: &Path, pkg_dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let main_module = format!("./{}.js", project.output_name);
    let mut options = wasm_split_cli_support::Options::new(input);
    options.output_dir = pkg_dir;
    options.main_out_path = split_main;
    options.main_module = &main_module;
    options.link_name = LINK_NAME;
    options.verbose = false;
    let split = wasm_split_cli_support::transform(options).map_err(|e| Error::Split(format!("{e:#}")))?;
    // sorted, so the same wasm gives the same file
    let manifest: BTreeMap<_, _> = split.prefetch_map.into_iter().collect();
    let manifest_path = pkg_dir.join("__wasm_split_manifest.json");
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| Error::Split(e.to_string()))?;
    std::fs::write(&manifest_path, json).map_err(Error::io(&manifest_path))?;
    Ok(split.split_modules)
}

/// wasm-bindgen with the flags cargo-leptos passes the CLI with `--split`
/// (`--target=web --keep-lld-exports --no-demangle --out-name=<name>`, the CLI's defaults otherwise).
fn bindgen(project: &Project, input: &Path, pkg_dir: &Path) -> Result<(), Error> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .web(true)
        .map_err(|e| Error::Bindgen(format!("{e:#}")))?
        .input_path(input)
        .out_name(&project.output_name)
        .keep_lld_exports(true)
        .demangle(false)
        .debug(false)
        .keep_debug(false)
        .typescript(true)
        .omit_default_module_path(false);
    bindgen.generate(pkg_dir).map_err(|e| Error::Bindgen(format!("{e:#}")))
}

/// Runs wasm-opt on every wasm file in place, all at once (cargo-leptos: one per core).
fn optimize(project: &Project, files: &[PathBuf]) -> Result<(), Error> {
    let program = project.npm_tool("wasm-opt").ok_or(Error::NoWasmOpt)?;
    let mut running = Vec::new();
    for file in files {
        let mut command = Command::new(&program);
        command.args(&project.wasm_opt_flags).arg(file).arg("-o").arg(file);
        let line = describe(&command);
        eprintln!("[xtask] {line}");
        let child = command.spawn().map_err(|source| Error::Spawn {
            program: line.clone(),
            source,
        })?;
        running.push((line, child));
    }
    let mut first_error = None;
    for (line, mut child) in running {
        let result = match child.wait() {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(Error::Failed { command: line, status }),
            Err(source) => Err(Error::Spawn { program: line, source }),
        };
        if let (Err(error), None) = (result, &first_error) {
            first_error = Some(error);
        }
    }
    first_error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_main_sits_next_to_the_cargo_output() {
        assert_eq!(
            split_main_path(Path::new("/t/front/wasm32-unknown-unknown/debug/frontend.wasm")).unwrap(),
            PathBuf::from("/t/front/wasm32-unknown-unknown/debug/frontend_split.wasm")
        );
    }
}
