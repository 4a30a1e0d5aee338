//! `openfatture config set|get|list|unset|path`.

use serde_json::json;

use super::{CliError, ConfigCommand, Output};
use crate::config::{self, EnvVars, Home, Source};

/// The JSON form of one entry; secrets have `"value": null` and only `"set"` tells whether they have one.
fn entry_json(entry: &config::Entry) -> serde_json::Value {
    json!({
        "key": entry.key.name,
        "value": entry.value,
        "set": entry.is_set,
        "source": entry.source,
        "secret": entry.key.secret,
        "type": entry.key.kind.type_name(),
        "env_var": entry.key.env_var(),
        "description": entry.key.description,
    })
}

/// Runs one `config` subcommand.
pub(super) fn run(out: &Output, home: &Home, env: &EnvVars, command: ConfigCommand) -> Result<(), CliError> {
    match command {
        ConfigCommand::Set { key, value } => {
            let entry = config::set(home, env, &key, &value)?;
            if out.json {
                return out.print_json(&entry_json(&entry));
            }
            let shown = if entry.key.secret {
                "(secret saved)".to_string()
            } else {
                entry.display_value()
            };
            println!(
                "✅ {} = {}  (saved to {})",
                entry.key.name,
                shown,
                home.config_file.display()
            );
            if entry.source == Source::Env {
                println!(
                    "⚠️  {} is set in the environment and overrides the file (effective value: {})",
                    entry.key.env_var(),
                    entry.display_value()
                );
            }
            Ok(())
        }
        ConfigCommand::Get { key } => {
            let entry = config::get(home, env, &key)?;
            if out.json {
                return out.print_json(&entry_json(&entry));
            }
            println!("{} = {}  ({})", entry.key.name, entry.display_value(), entry.source);
            Ok(())
        }
        ConfigCommand::List => {
            let entries = config::list(home, env)?;
            if out.json {
                let all: Vec<_> = entries.iter().map(entry_json).collect();
                return out.print_json(&all);
            }
            let width = entries.iter().map(|e| e.key.name.len()).max().unwrap_or(0);
            println!("# {}", home.config_file.display());
            for e in &entries {
                println!("{:<width$}  {}  ({})", e.key.name, e.display_value(), e.source);
            }
            Ok(())
        }
        ConfigCommand::Unset { key } => {
            let entry = config::unset(home, env, &key)?;
            if out.json {
                return out.print_json(&entry_json(&entry));
            }
            println!(
                "✅ {} removed from {}; now {}  ({})",
                entry.key.name,
                home.config_file.display(),
                entry.display_value(),
                entry.source
            );
            Ok(())
        }
        ConfigCommand::Path => {
            if out.json {
                return out.print_json(&json!({
                    "config_file": home.config_file,
                    "data_dir": home.data_dir,
                }));
            }
            println!("config file: {}", home.config_file.display());
            println!("data dir:    {}", home.data_dir.display());
            Ok(())
        }
    }
}
