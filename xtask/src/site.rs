//! The site root: emptied before a build, then the style sheet and the assets laid out as
//! cargo-leptos 0.3.10 does (`compile/style.rs`, `compile/assets.rs`).

use std::path::Path;

use crate::leptos::Project;
use crate::Error;

/// Creates `dir`, or removes everything in it (cargo-leptos's `rm_dir_content`).
pub(crate) fn empty_dir(dir: &Path) -> Result<(), Error> {
    if !dir.exists() {
        return std::fs::create_dir_all(dir).map_err(Error::io(dir));
    }
    for entry in std::fs::read_dir(dir).map_err(Error::io(dir))? {
        let path = entry.map_err(Error::io(dir))?.path();
        if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path).map_err(Error::io(&path))?;
        } else {
            std::fs::remove_file(&path).map_err(Error::io(&path))?;
        }
    }
    Ok(())
}

/// Copies the style sheet to `<site>/pkg/<output-name>.css`.
pub(crate) fn style(project: &Project) -> Result<(), Error> {
    let Some(source) = &project.style_file else {
        return Ok(());
    };
    let pkg_dir = project.pkg_dir();
    std::fs::create_dir_all(&pkg_dir).map_err(Error::io(&pkg_dir))?;
    let dest = pkg_dir.join(format!("{}.css", project.output_name));
    std::fs::copy(source, &dest).map_err(Error::io(source))?;
    Ok(())
}

/// Copies everything in the assets directory into the site root; an `index.html` or a `<pkg>` entry
/// in it is refused, as the build writes those.
pub(crate) fn assets(project: &Project) -> Result<(), Error> {
    let Some(source) = &project.assets_dir else {
        return Ok(());
    };
    if !source.exists() {
        eprintln!(
            "[xtask] note: the assets directory {} does not exist; no assets copied",
            source.display()
        );
        return Ok(());
    }
    for reserved in [source.join("index.html"), source.join(project.pkg_dir_name())] {
        if reserved.exists() {
            return Err(Error::Config(format!(
                "{} is a name the build writes in the site root: move or rename it out of {}",
                reserved.display(),
                source.display()
            )));
        }
    }
    copy_dir(source, &project.site_root)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(to).map_err(Error::io(to))?;
    for entry in std::fs::read_dir(from).map_err(Error::io(from))? {
        let entry = entry.map_err(Error::io(from))?;
        let source = entry.path();
        let dest = to.join(entry.file_name());
        if entry.file_type().map_err(Error::io(&source))?.is_dir() {
            copy_dir(&source, &dest)?;
        } else {
            std::fs::copy(&source, &dest).map_err(Error::io(&source))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_dir_keeps_the_dir_and_removes_what_is_in_it() {
        let dir = std::env::temp_dir().join(format!("xtask-site-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg/deep")).unwrap();
        std::fs::write(dir.join("pkg/deep/a.wasm"), b"x").unwrap();
        std::fs::write(dir.join("sw.js"), b"x").unwrap();
        empty_dir(&dir).unwrap();
        assert!(dir.is_dir());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);

        let copy = dir.join("copy");
        std::fs::create_dir_all(dir.join("src/icons")).unwrap();
        std::fs::write(dir.join("src/icons/i.png"), b"png").unwrap();
        copy_dir(&dir.join("src"), &copy).unwrap();
        assert_eq!(std::fs::read(copy.join("icons/i.png")).unwrap(), b"png");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
