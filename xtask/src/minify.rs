//! Release only: the JavaScript and the style sheet in `<site>/pkg` minified in place with esbuild
//! (npm `esbuild` in `end2end/`, installed by `scripts/setup.sh`), as cargo-leptos does with swc and
//! lightningcss. Modules stay modules: nothing is bundled or renamed across files, so the exports
//! the split loader and the wasm imports name are kept.

use std::process::Command;

use crate::leptos::Project;
use crate::workspace::describe;
use crate::Error;

/// Minifies every `.js` and `.css` file directly in the site's package directory.
pub(crate) fn minify(project: &Project) -> Result<(), Error> {
    let esbuild = project.npm_tool("esbuild").ok_or(Error::NoEsbuild)?;
    let pkg_dir = project.pkg_dir();
    let entries = std::fs::read_dir(&pkg_dir).map_err(Error::io(&pkg_dir))?;
    for entry in entries {
        let path = entry.map_err(Error::io(&pkg_dir))?.path();
        let minifiable = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e == "js" || e == "css");
        if !minifiable {
            continue;
        }
        let mut command = Command::new(&esbuild);
        command
            .arg(&path)
            .arg("--minify")
            .arg("--allow-overwrite")
            .arg("--log-level=warning")
            .arg(format!("--outfile={}", path.display()));
        let line = describe(&command);
        eprintln!("[xtask] {line}");
        let status = command.status().map_err(|source| Error::Spawn {
            program: line.clone(),
            source,
        })?;
        if !status.success() {
            return Err(Error::Failed { command: line, status });
        }
    }
    Ok(())
}
