//! Issue 37: the CLI lists page by cursor (`--after`, printed as `next page: --after CURSOR`),
//! both ways (`--order`), keep `--page`, and search by prefix (`--search`).

use crate::common;

use common::stdout_of as ok;

/// The numeri of a `--json invoice list` answer, and the next cursor it printed on stderr.
fn numeri(home: &std::path::Path, args: &[&str]) -> (Vec<String>, Option<String>) {
    let out = common::openfatture(home)
        .args(["--json", "invoice", "list"])
        .args(args)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let numeri = rows
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["numero"].as_str().map(str::to_string))
        .collect();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let next = stderr
        .lines()
        .find_map(|l| l.strip_prefix("next page: --after "))
        .map(|c| c.trim().to_string());
    (numeri, next)
}

#[test]
fn invoice_list_pages_by_cursor_both_ways_and_searches_by_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    for (n, client, date) in [
        ("A-1", "Rossi Srl", "2025-01-01"),
        ("A-2", "Bianchi SpA", "2025-01-02"),
        ("A-3", "Rossini Snc", "2025-01-03"),
        ("A-4", "Verdi Srl", "2025-01-04"),
        ("A-5", "Conti SpA", "2025-01-05"),
    ] {
        ok(common::openfatture(home).args([
            "invoice", "add", "--numero", n, "--client", client, "--total", "10", "--date", date,
        ]));
    }
    let (first, next) = numeri(home, &["--limit", "2"]);
    assert_eq!(first, ["A-5", "A-4"]);
    let next = next.expect("a cursor under a full page");
    let (second, next) = numeri(home, &["--limit", "2", "--after", &next]);
    assert_eq!(second, ["A-3", "A-2"]);
    let (third, last) = numeri(home, &["--limit", "2", "--after", &next.expect("cursor")]);
    assert_eq!((third, last), (vec!["A-1".to_string()], None));
    // --page walks the cursors; oldest first runs the other way.
    assert_eq!(numeri(home, &["--limit", "2", "--page", "2"]).0, ["A-3", "A-2"]);
    assert_eq!(numeri(home, &["--limit", "2", "--page", "9"]).0, Vec::<String>::new());
    assert_eq!(
        numeri(home, &["--limit", "3", "--order", "oldest"]).0,
        ["A-1", "A-2", "A-3"]
    );
    // The text output prints the cursor under the table.
    let text = ok(common::openfatture(home).args(["invoice", "list", "--limit", "1"]));
    assert!(text.contains("next page: --after "), "{text}");
    // Prefix search: client name (any case), numero; not inside a word.
    assert_eq!(numeri(home, &["--search", "ROSS"]).0, ["A-3", "A-1"]);
    assert_eq!(numeri(home, &["--search", "a-4"]).0, ["A-4"]);
    assert_eq!(numeri(home, &["--search", "ossi"]).0, Vec::<String>::new());
    // Bad flags are refused with what to do.
    for (args, says) in [
        (vec!["--after", "junk"], "is not a page cursor"),
        (vec!["--order", "sideways"], "--order must be newest or oldest"),
    ] {
        let out = common::openfatture(home)
            .args(["invoice", "list"])
            .args(&args)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
