//! `openfatture lightning macaroon bake|rotate` and the permission check of `lightning status`:
//! a macaroon with exactly the gateway's permissions (issue 38 §4).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::Serialize;

use super::{CliError, Output};
use crate::config::{EnvVars, Source};
use crate::context::Services;
use crate::lnd::{
    gateway_permission_pairs, macaroon_bytes, macaroon_root_key_id, LndClient, LndConfig, GATEWAY_PERMISSIONS,
};

/// `openfatture lightning macaroon ...`
#[derive(Debug, Subcommand)]
pub enum MacaroonCommand {
    /// Bake (BakeMacaroon) a macaroon with exactly the gateway's permissions under a new root key
    /// id; the configured macaroon (or --admin-macaroon) must hold macaroon:generate.
    Bake {
        /// Write the macaroon (binary, owner-only) to this file; without it, print it as hex.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The macaroon that bakes (e.g. LND's admin.macaroon); default: the configured one.
        #[arg(long, value_name = "FILE")]
        admin_macaroon: Option<PathBuf>,
    },
    /// Replace the configured macaroon: bake a new one under a new root key id, write it, check
    /// it with a real call, switch lightning_macaroon_path to it, then revoke the old root key id
    /// (DeleteMacaroonID). A failure before the switch leaves the old one configured and valid.
    Rotate {
        /// Where to write the new macaroon; default: next to the old one, `openfatture-<id>.macaroon`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The macaroon that bakes and revokes (e.g. LND's admin.macaroon); default: the configured one.
        #[arg(long, value_name = "FILE")]
        admin_macaroon: Option<PathBuf>,
    },
}

/// Runs one `lightning macaroon` subcommand.
pub(super) async fn run_macaroon(
    out: &Output,
    services: Services<'_>,
    command: MacaroonCommand,
) -> Result<(), CliError> {
    let cfg = services.settings().lnd_config()?;
    match command {
        MacaroonCommand::Bake {
            out: file,
            admin_macaroon,
        } => bake(out, cfg, file, admin_macaroon).await,
        MacaroonCommand::Rotate {
            out: file,
            admin_macaroon,
        } => rotate(out, services, cfg, file, admin_macaroon).await,
    }
}

/// A client with `admin` as its macaroon (or the configured one).
async fn client_with(cfg: &LndConfig, macaroon: Option<&Path>) -> Result<LndClient, CliError> {
    let mut cfg = cfg.clone();
    if let Some(path) = macaroon {
        cfg.macaroon_path = path.to_path_buf();
    }
    Ok(LndClient::connect(cfg).await?)
}

/// A fresh root key id: random, never 0 (the node's default key) nor `avoid`.
fn new_root_key_id(avoid: Option<u64>) -> u64 {
    loop {
        use rand::RngCore as _;
        let id: u64 = rand::thread_rng().next_u64() >> 1;
        if id != 0 && Some(id) != avoid {
            return id;
        }
    }
}

/// Writes `bytes` to a new owner-only file at `path` (an existing file is not overwritten).
fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let cannot = |e: std::io::Error| CliError::Invalid(format!("cannot write the macaroon to {}: {e}", path.display()));
    let mut file = options.open(path).map_err(cannot)?;
    file.write_all(bytes).map_err(cannot)?;
    file.sync_all().map_err(cannot)
}

/// What `bake --json` and `rotate --json` print.
#[derive(Debug, Serialize)]
struct Baked {
    root_key_id: u64,
    permissions: Vec<String>,
    file: Option<PathBuf>,
    macaroon_hex: Option<String>,
    revoked_root_key_id: Option<u64>,
}

async fn bake(
    out: &Output,
    cfg: LndConfig,
    file: Option<PathBuf>,
    admin_macaroon: Option<PathBuf>,
) -> Result<(), CliError> {
    let admin = client_with(&cfg, admin_macaroon.as_deref()).await?;
    let id = new_root_key_id(None);
    let baked = admin.bake_macaroon(id, &gateway_permission_pairs()).await?;
    if let Some(path) = &file {
        if let Err(e) = write_new_private(path, &baked) {
            let _ = admin.delete_macaroon_id(id).await;
            return Err(e);
        }
    }
    let permissions: Vec<String> = GATEWAY_PERMISSIONS.iter().map(|(p, _)| p.name().to_string()).collect();
    if out.json {
        return out.print_json(&Baked {
            root_key_id: id,
            permissions,
            macaroon_hex: file.is_none().then(|| hex::encode(&baked)),
            file,
            revoked_root_key_id: None,
        });
    }
    println!(
        "🔑 Baked a macaroon under root key id {id} with: {}",
        permissions.join(", ")
    );
    match file {
        Some(path) => println!(
            "Written to {}; use it with: openfatture config set lightning_macaroon_path {}",
            path.display(),
            path.display()
        ),
        None => println!("{}", hex::encode(&baked)),
    }
    Ok(())
}

async fn rotate(
    out: &Output,
    services: Services<'_>,
    cfg: LndConfig,
    file: Option<PathBuf>,
    admin_macaroon: Option<PathBuf>,
) -> Result<(), CliError> {
    let old_path = cfg.macaroon_path.clone();
    let old_bytes = std::fs::read(&old_path)
        .map_err(|e| CliError::Invalid(format!("cannot read the macaroon {}: {e}", old_path.display())))?;
    let old_id_text = macaroon_bytes(&old_bytes)
        .and_then(|b| macaroon_root_key_id(&b))
        .map_err(|e| CliError::Invalid(format!("{}: {e}", old_path.display())))?;
    let old_id: u64 = old_id_text.parse().map_err(|_| {
        CliError::Invalid(format!(
            "{} was baked under root key id {old_id_text:?}, not a number LND can revoke",
            old_path.display()
        ))
    })?;
    if old_id == 0 {
        return Err(CliError::Invalid(format!(
            "{} uses the node's default root key (that of admin.macaroon): revoking it would revoke \
             admin.macaroon too. Bake a macaroon of its own first: openfatture lightning macaroon bake --out FILE, \
             then openfatture config set lightning_macaroon_path FILE",
            old_path.display()
        )));
    }
    let env = EnvVars::from_process();
    let current = crate::config::get(services.home(), &env, "lightning_macaroon_path")?;
    if current.source == Source::Env {
        return Err(CliError::Invalid(
            "LIGHTNING_MACAROON_PATH is set in the environment, so the config file cannot switch the macaroon; \
             unset it and set lightning_macaroon_path with `openfatture config set`"
                .to_string(),
        ));
    }
    let admin = client_with(&cfg, admin_macaroon.as_deref()).await?;
    let new_id = new_root_key_id(Some(old_id));
    let new_path = file.unwrap_or_else(|| {
        old_path
            .parent()
            .unwrap_or(Path::new("."))
            .join(format!("openfatture-{new_id}.macaroon"))
    });
    let baked = admin.bake_macaroon(new_id, &gateway_permission_pairs()).await?;
    // From here on, a failure revokes the new id and leaves the old macaroon configured.
    let switched = switch_to(services, &env, &cfg, &new_path, &baked).await;
    if let Err(e) = switched {
        let _ = admin.delete_macaroon_id(new_id).await;
        return Err(e);
    }
    let revoked = admin.delete_macaroon_id(old_id).await.map_err(|e| {
        CliError::Invalid(format!(
            "switched to {} (root key id {new_id}), but the old root key id {old_id} could not be revoked: {e}; \
             it still works until revoked",
            new_path.display()
        ))
    })?;
    if out.json {
        return out.print_json(&Baked {
            root_key_id: new_id,
            permissions: GATEWAY_PERMISSIONS.iter().map(|(p, _)| p.name().to_string()).collect(),
            file: Some(new_path),
            macaroon_hex: None,
            revoked_root_key_id: revoked.then_some(old_id),
        });
    }
    println!(
        "🔄 Rotated: now {} (root key id {new_id}); root key id {old_id} {}",
        new_path.display(),
        if revoked { "revoked" } else { "was already gone" }
    );
    println!("A running gateway picks the new path up from config.toml.");
    Ok(())
}

/// Writes the new macaroon, checks it with a real call, then points the config at it; on any
/// failure the new file is removed and the config is as it was.
async fn switch_to(
    services: Services<'_>,
    env: &EnvVars,
    cfg: &LndConfig,
    new_path: &Path,
    baked: &[u8],
) -> Result<(), CliError> {
    write_new_private(new_path, baked)?;
    let checked = async {
        let mut new_cfg = cfg.clone();
        new_cfg.macaroon_path = new_path.to_path_buf();
        let client = LndClient::connect(new_cfg).await?;
        client.get_info().await?;
        let path_text = new_path.display().to_string();
        crate::config::set(services.home(), env, "lightning_macaroon_path", &path_text)?;
        Ok::<(), CliError>(())
    }
    .await;
    if checked.is_err() {
        let _ = std::fs::remove_file(new_path);
    }
    checked
}

/// Which of the gateway's permissions the macaroon in `cfg` has and lacks, asked of the node
/// (CheckMacaroonPermissions) or, when the macaroon may not ask, read from the macaroon itself.
#[derive(Debug, Serialize)]
pub(super) struct PermissionCheck {
    /// Held.
    pub has: Vec<&'static str>,
    /// Missing.
    pub lacks: Vec<&'static str>,
    /// `node` (CheckMacaroonPermissions) or `macaroon` (its own caveat-free list).
    pub checked_by: &'static str,
}

/// Checks the configured macaroon against the gateway's permissions.
pub(super) async fn check_permissions(client: &LndClient, macaroon_path: &Path) -> Result<PermissionCheck, CliError> {
    let raw = std::fs::read(macaroon_path)
        .map_err(|e| CliError::Invalid(format!("cannot read the macaroon {}: {e}", macaroon_path.display())))?;
    let bytes = macaroon_bytes(&raw).map_err(|e| CliError::Invalid(format!("{}: {e}", macaroon_path.display())))?;
    let mut check = PermissionCheck {
        has: Vec::new(),
        lacks: Vec::new(),
        checked_by: "node",
    };
    for (permission, _) in GATEWAY_PERMISSIONS {
        let Some(pair) = permission.name().split_once(':') else {
            continue;
        };
        match client.macaroon_allows(&bytes, &[pair]).await {
            Ok(true) => check.has.push(permission.name()),
            Ok(false) => check.lacks.push(permission.name()),
            Err(crate::lnd::LndError::PermissionDenied { .. }) => return check_locally(&bytes),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(check)
}

/// The check from the macaroon's own list (when it may not call CheckMacaroonPermissions).
fn check_locally(bytes: &[u8]) -> Result<PermissionCheck, CliError> {
    let grants = crate::lnd::macaroon_grants(bytes).map_err(|e| CliError::Invalid(e.to_string()))?;
    let (has, lacks) = GATEWAY_PERMISSIONS
        .iter()
        .map(|(p, _)| p.name())
        .partition(|name| grants.iter().any(|g| g == name));
    Ok(PermissionCheck {
        has,
        lacks,
        checked_by: "macaroon",
    })
}
