//! Configuration: precedence, `~` expansion, validation that leaves the file untouched, secrets.

use std::path::{Path, PathBuf};

use openfatture::config::{self, ConfigError, EnvVars, Home, Settings, Source, KEYS};
use secrecy::ExposeSecret;

fn home() -> (tempfile::TempDir, Home) {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = Home::at(dir.path());
    (dir, home)
}

fn env(pairs: &[(&str, &str)]) -> EnvVars {
    let mut all = vec![("HOME", "/home/tester")];
    all.extend_from_slice(pairs);
    EnvVars::from_pairs(all)
}

#[test]
fn defaults_apply_without_file_or_env() {
    let (_d, home) = home();
    let s = Settings::load_with(&home, &env(&[])).expect("load");
    assert!(!s.lightning_enabled);
    assert_eq!(s.lightning_host, None);
    assert_eq!(
        (
            s.lightning_default_expiry_hours,
            s.lightning_min_expiry_hours,
            s.lightning_max_expiry_hours
        ),
        (24, 1, 168)
    );
    assert_eq!((s.lightning_timeout_seconds, s.lightning_max_retries), (30, 3));
    assert_eq!(s.lightning_rate_cache_ttl, 300);
    assert_eq!(s.lightning_fallback_rate, None);
    assert_eq!(s.lightning_liquidity_target_ratio.to_string(), "0.5");
    assert!(s.lightning_coingecko_enabled && !s.lightning_cmc_enabled);
    assert!(!home.config_file.exists(), "loading never creates the file");
}

#[test]
fn env_beats_file_beats_default() {
    let (_d, home) = home();
    let e = env(&[]);
    assert_eq!(
        config::get(&home, &e, "lightning_timeout_seconds").expect("get").source,
        Source::Default
    );

    config::set(&home, &e, "lightning_timeout_seconds", "10").expect("set");
    let entry = config::get(&home, &e, "lightning_timeout_seconds").expect("get");
    assert_eq!((entry.value.as_deref(), entry.source), (Some("10"), Source::File));
    assert_eq!(
        Settings::load_with(&home, &e).expect("load").lightning_timeout_seconds,
        10
    );

    let with_env = env(&[("LIGHTNING_TIMEOUT_SECONDS", "20")]);
    let entry = config::get(&home, &with_env, "lightning_timeout_seconds").expect("get");
    assert_eq!((entry.value.as_deref(), entry.source), (Some("20"), Source::Env));
    assert_eq!(
        Settings::load_with(&home, &with_env)
            .expect("load")
            .lightning_timeout_seconds,
        20
    );

    // Setting a key that the environment overrides still saves it, and says the env wins.
    let entry = config::set(&home, &with_env, "lightning_timeout_seconds", "11").expect("set");
    assert_eq!(entry.source, Source::Env);
    assert_eq!(
        Settings::load_with(&home, &e).expect("load").lightning_timeout_seconds,
        11
    );
}

#[test]
fn tilde_expands_in_paths_but_is_stored_as_typed() {
    let (_d, home) = home();
    let e = env(&[]);
    config::set(&home, &e, "lightning_cert_path", "~/.lnd/tls.cert").expect("set");
    config::set(&home, &e, "lightning_macaroon_path", "/abs/admin.macaroon").expect("set");
    let s = Settings::load_with(&home, &e).expect("load");
    assert_eq!(s.lightning_cert_path, Some(PathBuf::from("/home/tester/.lnd/tls.cert")));
    assert_eq!(s.lightning_macaroon_path, Some(PathBuf::from("/abs/admin.macaroon")));
    let text = std::fs::read_to_string(&home.config_file).expect("file");
    assert!(text.contains("lightning_cert_path = \"~/.lnd/tls.cert\""), "{text}");

    let from_env = env(&[("LIGHTNING_CERT_PATH", "~/other.cert")]);
    let s = Settings::load_with(&home, &from_env).expect("load");
    assert_eq!(s.lightning_cert_path, Some(PathBuf::from("/home/tester/other.cert")));
}

fn assert_invalid(home: &Home, key: &str, value: &str, expected_fragment: &str) {
    let before = std::fs::read(&home.config_file).expect("file exists");
    let e = config::set(home, &env(&[]), key, value).expect_err(&format!("{key}={value} must be refused"));
    let text = e.to_string();
    assert!(matches!(e, ConfigError::InvalidValue { .. }), "{key}={value}: {e:?}");
    assert!(text.contains(key) && text.contains(&format!("`{value}`")), "{text}");
    assert!(text.contains(expected_fragment), "{key}={value}: {text}");
    assert_eq!(
        std::fs::read(&home.config_file).expect("file"),
        before,
        "file untouched after {key}={value}"
    );
}

#[test]
fn bad_values_are_refused_by_type_and_the_file_stays_byte_identical() {
    let (dir, home) = home();
    config::set(&home, &env(&[]), "lightning_host", "localhost:10009").expect("set");
    let cases = [
        ("lightning_enabled", "yes", "true or false"),
        ("lightning_host", "https://localhost:10009", "host:port"),
        ("lightning_host", "localhost", "host:port"),
        ("lightning_default_expiry_hours", "0", "whole number from 1"),
        ("lightning_max_expiry_hours", "-5", "whole number"),
        ("lightning_max_retries", "three", "whole number from 0"),
        ("lightning_timeout_seconds", "1.5", "whole number"),
        ("lightning_fallback_rate", "abc", "decimal number greater than 0"),
        ("lightning_fallback_rate", "-45000", "decimal number greater than 0"),
        ("lightning_liquidity_min_ratio", "1.2", "from 0 to 1"),
        ("lightning_webhook_url", "ftp://example.com", "http:// or https://"),
        ("lightning_coingecko_base_url", "not a url", "http:// or https://"),
    ];
    for (key, value, expected) in cases {
        assert_invalid(&home, key, value, expected);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "config.toml")
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left: {leftovers:?}");
}

#[test]
fn related_keys_must_stay_ordered() {
    let (_d, home) = home();
    let e = env(&[]);
    config::set(&home, &e, "lightning_enabled", "true").expect("set");
    let before = std::fs::read(&home.config_file).expect("file");
    let err = config::set(&home, &e, "lightning_min_expiry_hours", "200").expect_err("above max");
    assert_eq!(
        err.to_string(),
        "lightning_min_expiry_hours (200) must not be greater than lightning_default_expiry_hours (24); \
         change one of them with `openfatture config set`"
    );
    assert_eq!(std::fs::read(&home.config_file).expect("file"), before);
    config::set(&home, &e, "lightning_liquidity_max_ratio", "0.9").expect("set");
    config::set(&home, &e, "lightning_liquidity_target_ratio", "0.85").expect("still below max");
    assert!(config::set(&home, &e, "lightning_liquidity_min_ratio", "0.95").is_err());
}

#[test]
fn unknown_keys_are_refused_on_set_and_in_the_file() {
    let (_d, home) = home();
    let e = env(&[]);
    config::set(&home, &e, "lightning_enabled", "true").expect("set");
    let before = std::fs::read(&home.config_file).expect("file");
    let err = config::set(&home, &e, "lightning_hots", "x:1").expect_err("unknown");
    assert!(matches!(err, ConfigError::UnknownKey { .. }), "{err:?}");
    assert!(err.to_string().contains("lightning_hots"), "{err}");
    assert_eq!(std::fs::read(&home.config_file).expect("file"), before);

    std::fs::write(
        &home.config_file,
        "lightning_enabled = true\nlightning_colour = \"blue\"\n",
    )
    .expect("write");
    let err = Settings::load_with(&home, &e).expect_err("unknown key in file");
    let text = err.to_string();
    assert!(
        text.contains("lightning_colour") && text.contains(&home.config_file.display().to_string()),
        "{text}"
    );
}

#[test]
fn bad_values_in_the_file_or_env_name_key_value_and_origin() {
    let (_d, home) = home();
    std::fs::write(&home.config_file, "lightning_timeout_seconds = \"soon\"\n").expect("write");
    let err = Settings::load_with(&home, &env(&[])).expect_err("bad file value");
    let text = err.to_string();
    assert!(
        text.contains("lightning_timeout_seconds") && text.contains("`soon`"),
        "{text}"
    );
    assert!(text.contains("config file"), "{text}");

    std::fs::write(&home.config_file, "lightning_timeout_seconds = 5\n").expect("write");
    let err = Settings::load_with(&home, &env(&[("LIGHTNING_ENABLED", "maybe")])).expect_err("bad env");
    let text = err.to_string();
    assert!(
        text.contains("environment variable LIGHTNING_ENABLED") && text.contains("`maybe`"),
        "{text}"
    );

    std::fs::write(&home.config_file, "this is = = not toml").expect("write");
    let err = config::set(&home, &env(&[]), "lightning_enabled", "true").expect_err("broken file");
    assert!(matches!(err, ConfigError::ParseFile { .. }), "{err:?}");
    assert_eq!(
        std::fs::read_to_string(&home.config_file).expect("file"),
        "this is = = not toml"
    );
}

#[test]
fn secrets_are_never_shown() {
    let (_d, home) = home();
    let e = env(&[]);
    let secret = "wh-s3cr3t-value-42";
    let entry = config::set(&home, &e, "lightning_webhook_secret", secret).expect("set");
    assert_eq!((entry.value.clone(), entry.is_set), (None, true));
    assert_eq!(entry.display_value(), "set");

    let entry = config::get(&home, &e, "lightning_webhook_secret").expect("get");
    assert_eq!(entry.display_value(), "set");
    assert!(!format!("{entry:?}").contains(secret));
    let unset = config::get(&home, &e, "lightning_cmc_api_key").expect("get");
    assert_eq!(unset.display_value(), "not set");

    for entry in config::list(&home, &e).expect("list") {
        assert!(!entry.display_value().contains(secret) && !format!("{entry:?}").contains(secret));
    }
    let settings = Settings::load_with(&home, &e).expect("load");
    assert!(!format!("{settings:?}").contains(secret));
    assert_eq!(
        settings
            .lightning_webhook_secret
            .as_ref()
            .map(|s| s.expose_secret().to_string()),
        Some(secret.to_string())
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&home.config_file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "config file holding secrets is private: {mode:o}");
    }
}

#[test]
fn every_key_has_a_description_and_valid_default() {
    let (_d, home) = home();
    let entries = config::list(&home, &env(&[])).expect("list");
    assert_eq!(entries.len(), KEYS.len());
    for k in KEYS {
        assert!(!k.description.is_empty(), "{}", k.name);
        assert_eq!(k.env_var(), k.name.to_uppercase());
    }
}

#[test]
fn openfatture_home_holds_config_and_data() {
    let e = EnvVars::from_pairs([("OPENFATTURE_HOME", "/srv/of")]);
    let home = Home::from_vars(&e).expect("home");
    assert_eq!(home.config_file, Path::new("/srv/of/config.toml"));
    assert_eq!(home.data_dir, Path::new("/srv/of"));
}

#[test]
fn the_webhook_timeout_and_pos_expiry_come_from_the_settings() {
    let (_dir, home) = home();
    let defaults = Settings::load_with(&home, &env(&[])).expect("defaults");
    assert_eq!(defaults.dispatcher_config().timeout, std::time::Duration::from_secs(10));
    assert_eq!(defaults.lightning_pos_expiry_minutes, 15);
    let set = Settings::load_with(
        &home,
        &env(&[
            ("LIGHTNING_WEBHOOK_TIMEOUT", "3"),
            ("LIGHTNING_POS_EXPIRY_MINUTES", "5"),
        ]),
    )
    .expect("settings");
    assert_eq!(set.dispatcher_config().timeout, std::time::Duration::from_secs(3));
    assert_eq!(set.lightning_pos_expiry_minutes, 5);
    let err = Settings::load_with(&home, &env(&[("LIGHTNING_WEBHOOK_TIMEOUT", "0")])).expect_err("zero timeout");
    assert!(err.to_string().contains("lightning_webhook_timeout"), "{err}");
}
