//! `openfatture user add|list|remove|passwd|logout|unlock`: staff accounts for the web app.

use std::io::{IsTerminal, Read};

use app::model::Role;
use clap::Subcommand;
use secrecy::{ExposeSecret, SecretString};

use super::{CliError, Output};
use crate::auth::{check_password_policy, AuthError};
use crate::context::Services;

/// The help of `user add --role`: every role with what it may do, from [`Role::ALL`].
pub fn role_help() -> String {
    format!("{}.", Role::help())
}

/// `openfatture user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a staff member who can sign in to the web app.
    Add {
        /// Login name: lower-case letters, digits, '.', '_' or '-'.
        name: String,
        /// The role (one of `Role::ALL`, see [`role_help`]).
        #[arg(long, help = role_help())]
        role: String,
        /// Read the password (or PIN) from standard input instead of asking for it.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List staff accounts.
    List,
    /// Remove a staff account (their sessions end at once); never the only admin.
    Remove {
        /// Login name.
        name: String,
    },
    /// Set a new password or PIN for a staff member; their sessions end at once.
    Passwd {
        /// Login name.
        name: String,
        /// Read the new password (or PIN) from standard input instead of asking for it.
        #[arg(long)]
        password_stdin: bool,
    },
    /// End every session of a staff member: they must sign in again.
    Logout {
        /// Login name.
        name: String,
    },
    /// Clear a staff member's failed sign-ins: lifts every sign-in lock and delay on them.
    Unlock {
        /// Login name.
        name: String,
    },
}

impl From<AuthError> for CliError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(e) => CliError::Store(e),
            other => CliError::Invalid(other.to_string()),
        }
    }
}

/// Runs one `user` subcommand.
pub(super) async fn run(out: &Output, services: Services<'_>, command: UserCommand) -> Result<(), CliError> {
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            // Check everything cheap before asking for a password.
            crate::auth::check_username(&name)?;
            let role = Role::parse(&role).ok_or_else(|| AuthError::UnknownRole(role.clone()))?;
            let password = read_password(password_stdin)?;
            let store = services.store().await?;
            let added = services
                .auth(store.clone(), false)
                .add_user(&name, role, &password)
                .await;
            store.close().await;
            added?;
            if out.json {
                return out.print_json(&serde_json::json!({ "username": name, "role": role }));
            }
            println!("✅ Added {role} '{name}'. They can now sign in to the web app.");
            Ok(())
        }
        UserCommand::List => {
            let store = services.store().await?;
            let users = store.users().await;
            store.close().await;
            let users = users?;
            if out.json {
                let list: Vec<_> = users
                    .iter()
                    .map(|u| serde_json::json!({ "username": u.username, "role": u.role, "created_at": u.created_at }))
                    .collect();
                return out.print_json(&list);
            }
            if users.is_empty() {
                println!("No staff accounts yet. Add one: openfatture user add NAME --role admin");
            }
            for user in users {
                println!("{:<32} {}", user.username, user.role);
            }
            Ok(())
        }
        UserCommand::Remove { name } => {
            let store = services.store().await?;
            let removed = services.auth(store.clone(), false).remove_user(&name).await;
            store.close().await;
            removed?;
            if out.json {
                return out.print_json(&serde_json::json!({ "removed": name }));
            }
            println!("✅ Removed '{name}'; their sessions have ended.");
            Ok(())
        }
        UserCommand::Passwd { name, password_stdin } => {
            // Check everything cheap before asking for a password.
            crate::auth::check_username(&name)?;
            let store = services.store().await?;
            let exists = store.user(&name).await;
            if !matches!(exists, Ok(Some(_))) {
                store.close().await;
                exists?;
                return Err(AuthError::NoSuchUser(name).into());
            }
            let password = match read_password(password_stdin) {
                Ok(password) => password,
                Err(e) => {
                    store.close().await;
                    return Err(e);
                }
            };
            let ended = services.auth(store.clone(), false).set_password(&name, &password).await;
            store.close().await;
            let ended = ended?;
            if out.json {
                return out.print_json(&serde_json::json!({ "username": name, "sessions_ended": ended }));
            }
            println!("✅ New password set for '{name}'; {ended} session(s) ended: they sign in with the new one.");
            Ok(())
        }
        UserCommand::Logout { name } => {
            let store = services.store().await?;
            let ended = services.auth(store.clone(), false).end_sessions(&name).await;
            store.close().await;
            let ended = ended?;
            if out.json {
                return out.print_json(&serde_json::json!({ "username": name, "sessions_ended": ended }));
            }
            println!("✅ Ended {ended} session(s) of '{name}': they must sign in again.");
            Ok(())
        }
        UserCommand::Unlock { name } => {
            let store = services.store().await?;
            let cleared = services.auth(store.clone(), false).unlock_user(&name).await;
            store.close().await;
            let cleared = cleared?;
            if out.json {
                return out.print_json(&serde_json::json!({ "unlocked": name, "throttle_rows_cleared": cleared }));
            }
            println!("✅ Unlocked '{name}': they can sign in again from every address.");
            Ok(())
        }
    }
}

/// The new password: from stdin (`--password-stdin`, one line) or asked twice on the terminal.
fn read_password(from_stdin: bool) -> Result<SecretString, CliError> {
    if from_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::Invalid(format!("cannot read the password from standard input: {e}")))?;
        let line = text.lines().next().unwrap_or_default().to_string();
        check_password_policy(&line)?;
        return Ok(SecretString::from(line));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Invalid(
            "no terminal to ask for the password: pipe it in and add --password-stdin".into(),
        ));
    }
    let first = rpassword::prompt_password("Password or PIN: ")
        .map_err(|e| CliError::Invalid(format!("cannot read the password: {e}")))?;
    check_password_policy(&first)?;
    let again = rpassword::prompt_password("Again: ")
        .map_err(|e| CliError::Invalid(format!("cannot read the password: {e}")))?;
    if again != first {
        return Err(CliError::Invalid(
            "the two passwords differ; nothing was changed".into(),
        ));
    }
    let secret = SecretString::from(first);
    debug_assert!(!secret.expose_secret().is_empty());
    Ok(secret)
}
