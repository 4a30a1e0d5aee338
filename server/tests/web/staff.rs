//! The Staff page's server functions over real HTTP on 127.0.0.1 (issue 31 §3): an admin adds a
//! cashier who can then sign in, resets their PIN (their old session ends, the new PIN works),
//! ends their sessions and removes them; cashiers are refused every staff function; an admin
//! cannot remove themselves or end their own sessions; weak PINs are refused in the page's
//! language; a locked cashier shows as locked until unlocked; every refusal leaves accounts and
//! sessions as they were.

use crate::common;
use common::web::{Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};

use openfatture::store::Store;
use serde_json::Value;

use common::TestResult;

/// Every staff server function with arguments it accepts.
const STAFF_CALLS: &[(&str, &[(&str, &str)])] = &[
    ("admin_staff", &[]),
    (
        "admin_staff_add",
        &[
            ("username", "nuovo"),
            ("role", "admin"),
            ("password", "135792468"),
            ("confirm", "135792468"),
            ("lang", "en"),
        ],
    ),
    ("admin_staff_remove", &[("username", ADMIN), ("lang", "en")]),
    (
        "admin_staff_passwd",
        &[
            ("username", ADMIN),
            ("password", "135792468"),
            ("confirm", "135792468"),
            ("lang", "en"),
        ],
    ),
    ("admin_staff_logout", &[("username", ADMIN), ("lang", "en")]),
    ("admin_staff_unlock", &[("username", ADMIN), ("lang", "en")]),
];

/// Accounts, sessions and sign-in throttle rows, to prove a refusal changed nothing.
async fn accounts(web: &Web) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let store = Store::open_in(&web.home.data_dir).await?;
    let rows = common::dump_tables(&store, &["users", "sessions", "login_throttle"]).await;
    store.close().await;
    Ok(rows)
}

/// The HTTP status of a cashier-only call with `cookie`: 401 once the session has ended, 400
/// (the amount is refused) while it lives.
async fn session_probe(web: &Web, cookie: &str) -> Result<u16, Box<dyn std::error::Error>> {
    let (status, _, _) = web
        .call("pos_charge", Some(cookie), &[("amount_eur", "abc"), ("note", "")])
        .await?;
    Ok(status)
}

/// The row of `username` in a staff list reply.
fn row<'a>(list: &'a Value, username: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|r| r["username"] == username)
}

#[tokio::test]
async fn an_admin_adds_a_cashier_resets_their_pin_ends_their_sessions_and_removes_them() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;

    let list = web.ok(&admin, "admin_staff", &[]).await?;
    let me = row(&list, ADMIN).ok_or("admin listed")?;
    assert_eq!(me["role"], "admin");
    assert_eq!(me["is_you"], true);
    assert_eq!(me["active_sessions"], 1);
    assert_eq!(row(&list, CASHIER).ok_or("cashier listed")?["is_you"], false);
    assert!(list.to_string().find("argon2").is_none(), "a hash was sent: {list}");

    // Add a cashier: they can sign in and use the POS.
    let list = web
        .ok(
            &admin,
            "admin_staff_add",
            &[
                ("username", "cassa2"),
                ("role", "cashier"),
                ("password", "112233"),
                ("confirm", "112233"),
                ("lang", "en"),
            ],
        )
        .await?;
    let added = row(&list, "cassa2").ok_or("cassa2 listed")?;
    assert_eq!(added["role"], "cashier");
    assert_eq!(added["active_sessions"], 0);
    assert_eq!(added["locked"], false);
    let first = web.sign_in("cassa2", "112233").await?;
    assert_eq!(
        session_probe(&web, &first).await?,
        400,
        "the new cashier's session works"
    );
    let list = web.ok(&admin, "admin_staff", &[]).await?;
    assert_eq!(row(&list, "cassa2").ok_or("cassa2")?["active_sessions"], 1);

    // Reset the PIN: the old session is refused, the old PIN too, the new one works.
    let list = web
        .ok(
            &admin,
            "admin_staff_passwd",
            &[
                ("username", "cassa2"),
                ("password", "445566"),
                ("confirm", "445566"),
                ("lang", "en"),
            ],
        )
        .await?;
    assert_eq!(row(&list, "cassa2").ok_or("cassa2")?["active_sessions"], 0);
    assert_eq!(
        session_probe(&web, &first).await?,
        401,
        "the old session outlived the reset"
    );
    let (status, _, _) = web
        .call("login", None, &[("username", "cassa2"), ("password", "112233")])
        .await?;
    assert_eq!(status, 401, "the old PIN still signs in");
    let second = web.sign_in("cassa2", "445566").await?;
    assert_eq!(session_probe(&web, &second).await?, 400);

    // End their sessions: the cookie is refused; the admin's own session is untouched.
    web.ok(&admin, "admin_staff_logout", &[("username", "cassa2"), ("lang", "en")])
        .await?;
    assert_eq!(
        session_probe(&web, &second).await?,
        401,
        "the session outlived 'end sessions'"
    );
    web.ok(&admin, "admin_staff", &[]).await?;

    // Remove them: signed out at once, and they can no longer sign in.
    let third = web.sign_in("cassa2", "445566").await?;
    let list = web
        .ok(&admin, "admin_staff_remove", &[("username", "cassa2"), ("lang", "en")])
        .await?;
    assert!(row(&list, "cassa2").is_none(), "{list}");
    assert_eq!(
        session_probe(&web, &third).await?,
        401,
        "the session outlived the removal"
    );
    let (status, _, _) = web
        .call("login", None, &[("username", "cassa2"), ("password", "445566")])
        .await?;
    assert_eq!(status, 401, "a removed cashier signed in");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn cashiers_are_refused_and_admins_cannot_remove_themselves_or_end_their_own_sessions() -> TestResult {
    let web = Web::start(true).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let before = accounts(&web).await?;
    for (endpoint, form) in STAFF_CALLS {
        let text = web.refused(&cashier, endpoint, form, 403).await?;
        assert!(text.contains("needs the admin role"), "{endpoint}: {text}");
        let (status, _, _) = web.call(endpoint, None, form).await?;
        assert_eq!(status, 401, "{endpoint} signed out");
    }
    assert_eq!(
        accounts(&web).await?,
        before,
        "a cashier's call changed accounts or sessions"
    );

    // The only admin removing themselves, or ending their own sessions: refused, nothing changes.
    let text = web
        .refused(
            &admin,
            "admin_staff_remove",
            &[("username", ADMIN), ("lang", "en")],
            403,
        )
        .await?;
    assert!(text.contains("cannot remove your own account"), "{text}");
    let text = web
        .refused(
            &admin,
            "admin_staff_remove",
            &[("username", ADMIN), ("lang", "it")],
            403,
        )
        .await?;
    assert!(text.contains("non puoi rimuovere il tuo account"), "{text}");
    let text = web
        .refused(
            &admin,
            "admin_staff_logout",
            &[("username", ADMIN), ("lang", "en")],
            403,
        )
        .await?;
    assert!(text.contains("use Sign out"), "{text}");
    assert_eq!(
        accounts(&web).await?,
        before,
        "a refused self-removal changed something"
    );
    assert_eq!(session_probe(&web, &cashier).await?, 400, "the cashier was signed out");

    // A second admin may remove the first; then they are the only admin and cannot go either.
    web.ok(
        &admin,
        "admin_staff_add",
        &[
            ("username", "capo"),
            ("role", "admin"),
            ("password", "capo-password-1"),
            ("confirm", "capo-password-1"),
            ("lang", "en"),
        ],
    )
    .await?;
    let capo = web.sign_in("capo", "capo-password-1").await?;
    web.ok(&capo, "admin_staff_remove", &[("username", ADMIN), ("lang", "en")])
        .await?;
    let (status, _, _) = web.call("admin_staff", Some(&admin), &[]).await?;
    assert_eq!(status, 401, "the removed admin's session still works");
    let before = accounts(&web).await?;
    let text = web
        .refused(
            &capo,
            "admin_staff_remove",
            &[("username", "capo"), ("lang", "en")],
            403,
        )
        .await?;
    assert!(text.contains("cannot remove your own account"), "{text}");
    let text = web
        .refused(
            &capo,
            "admin_staff_remove",
            &[("username", "nobody"), ("lang", "en")],
            400,
        )
        .await?;
    assert!(text.contains("no staff member named 'nobody'"), "{text}");
    assert_eq!(accounts(&web).await?, before, "a refused removal changed something");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn bad_new_accounts_and_pins_are_refused_in_the_pages_language_and_change_nothing() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let before = accounts(&web).await?;
    let add =
        |name: &'static str, role: &'static str, password: &'static str, confirm: &'static str, lang: &'static str| {
            [
                ("username", name),
                ("role", role),
                ("password", password),
                ("confirm", confirm),
                ("lang", lang),
            ]
        };
    for (form, expected) in [
        (
            add("nuova", "cashier", "123", "123", "it"),
            "il PIN è troppo corto: usa almeno 6 cifre",
        ),
        (
            add("nuova", "cashier", "123", "123", "en"),
            "the PIN is too short: use at least 6 digits",
        ),
        (
            add("nuova", "admin", "corta", "corta", "it"),
            "la password è troppo corta",
        ),
        (
            add("nuova", "cashier", "112233", "112234", "it"),
            "le due password sono diverse",
        ),
        (
            add("nuova", "cashier", "112233", "112234", "en"),
            "the two passwords differ",
        ),
        (
            add("Nuova Cassa", "cashier", "112233", "112233", "it"),
            "nome utente 'Nuova Cassa' non valido",
        ),
        (
            add("nuova", "capo", "112233", "112233", "it"),
            "ruolo 'capo' sconosciuto: usa admin o cashier",
        ),
        (
            add(CASHIER, "cashier", "112233", "112233", "it"),
            "esiste già un utente di nome 'cassa1'",
        ),
    ] {
        let text = web.refused(&admin, "admin_staff_add", &form, 400).await?;
        assert!(text.contains(expected), "{form:?}: {text}");
    }
    assert_eq!(accounts(&web).await?, before, "a refused account changed something");
    // A weak new PIN for an existing cashier: refused in Italian; their PIN and session stay.
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let before_reset = accounts(&web).await?;
    let text = web
        .refused(
            &admin,
            "admin_staff_passwd",
            &[
                ("username", CASHIER),
                ("password", "12"),
                ("confirm", "12"),
                ("lang", "it"),
            ],
            400,
        )
        .await?;
    assert!(text.contains("il PIN è troppo corto"), "{text}");
    assert_eq!(accounts(&web).await?, before_reset, "a refused reset changed something");
    assert_eq!(
        session_probe(&web, &cashier).await?,
        400,
        "a refused reset ended the session"
    );
    let list = web.ok(&admin, "admin_staff", &[]).await?;
    assert!(row(&list, "nuova").is_none(), "{list}");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_locked_cashier_is_shown_locked_and_unlocked_from_the_page() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    for _ in 0..5 {
        let (status, _, _) = web
            .call("login", None, &[("username", CASHIER), ("password", "000000")])
            .await?;
        assert_eq!(status, 401);
    }
    let (status, _, _) = web
        .call("login", None, &[("username", CASHIER), ("password", CASHIER_PIN)])
        .await?;
    assert_eq!(status, 429, "five failures did not lock the cashier");
    let list = web.ok(&admin, "admin_staff", &[]).await?;
    let locked = row(&list, CASHIER).ok_or("cashier listed")?;
    assert_eq!(locked["locked"], true, "{list}");
    assert!(!locked["locked_until"].as_str().unwrap_or_default().is_empty());
    assert_eq!(row(&list, ADMIN).ok_or("admin listed")?["locked"], false);

    let list = web
        .ok(&admin, "admin_staff_unlock", &[("username", CASHIER), ("lang", "en")])
        .await?;
    assert_eq!(row(&list, CASHIER).ok_or("cashier listed")?["locked"], false, "{list}");
    web.sign_in(CASHIER, CASHIER_PIN).await?;
    let text = web
        .refused(
            &admin,
            "admin_staff_unlock",
            &[("username", "nobody"), ("lang", "it")],
            400,
        )
        .await?;
    assert!(text.contains("nessun utente di nome 'nobody'"), "{text}");
    web.gateway.shutdown().await?;
    Ok(())
}
