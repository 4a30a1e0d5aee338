//! Issue 37: every list, filter, order and search query of the store is answered by its index
//! (no full scan of a big table, no temporary B-tree for ORDER BY), on SQLite and PostgreSQL;
//! keyset pages walk a list without gaps or repeats; the maintained counts follow every change.

use crate::common;
use common::pg::PgServer;
use common::TestResult;

use chrono::NaiveDate;
use openfatture::store::{
    InvoiceState, ListOrder, ListQuery, LnInvoiceFilter, NewFattura, NewLnInvoice, PageCursor, Store,
};
use rust_decimal::Decimal;

const BIG_TABLES: [&str; 3] = ["ln_invoices", "fatture", "payments"];

/// What is wrong with a SQLite plan of `query`, if anything.
fn sqlite_plan_fault(query: &ListQuery, plan: &[String]) -> Option<String> {
    for line in plan {
        if line.contains("TEMP B-TREE") {
            return Some(format!("{}: sorts in a temporary B-tree: {plan:?}", query.name));
        }
        for table in BIG_TABLES {
            // `SCAN t` reads the whole table; `SCAN t USING INDEX i` walks an index in order and
            // stops at the LIMIT, which is what a first page does.
            if line == &format!("SCAN {table}") {
                return Some(format!("{}: full scan of {table}: {plan:?}", query.name));
            }
        }
    }
    let uses_its_index = plan.iter().any(|line| {
        query
            .indexes
            .iter()
            .any(|index| line.contains(&format!("INDEX {index} ")) || line.ends_with(&format!("INDEX {index}")))
    });
    (!uses_its_index).then(|| format!("{}: uses none of {:?}: {plan:?}", query.name, query.indexes))
}

/// What is wrong with a PostgreSQL plan of `query`, if anything.
fn postgres_plan_fault(query: &ListQuery, plan: &[String]) -> Option<String> {
    let text = plan.join("\n");
    if text.contains("Seq Scan") {
        return Some(format!("{}: sequential scan:\n{text}", query.name));
    }
    if plan.iter().any(|line| {
        line.trim_start()
            .trim_start_matches("->")
            .trim_start()
            .starts_with("Sort")
    }) {
        return Some(format!("{}: sorts:\n{text}", query.name));
    }
    let uses_its_index = query
        .indexes
        .iter()
        .any(|index| text.contains(&format!("using {index} on ")) || text.contains(&format!("Index Scan on {index} ")));
    (!uses_its_index).then(|| format!("{}: uses none of {:?}:\n{text}", query.name, query.indexes))
}

async fn sqlite_faults(store: &Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut faults = Vec::new();
    for query in store.list_queries() {
        let plan = store.explain(&query).await?;
        faults.extend(sqlite_plan_fault(&query, &plan));
    }
    Ok(faults)
}

async fn postgres_faults(store: &Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut faults = Vec::new();
    for query in store.list_queries() {
        let plan = store.explain(&query).await?;
        faults.extend(postgres_plan_fault(&query, &plan));
    }
    Ok(faults)
}

async fn sqlite_store(dir: &tempfile::TempDir) -> Result<Store, Box<dyn std::error::Error>> {
    Ok(Store::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("db.sqlite").display())).await?)
}

#[tokio::test]
async fn every_list_query_uses_its_index_on_sqlite() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = sqlite_store(&dir).await?;
    let queries = store.list_queries();
    // Every state, both orders, with and without a cursor, and the searches of the three lists.
    assert!(queries.len() >= 7 * 2 * 2 * 3 + 4 + 4, "{} queries", queries.len());
    let faults = sqlite_faults(&store).await?;
    assert!(faults.is_empty(), "{}", faults.join("\n"));

    // The check sees a missing index: drop each one in turn, and some query must fail.
    let mut indexes: Vec<&str> = queries.iter().flat_map(|q| q.indexes.iter().copied()).collect();
    indexes.sort_unstable();
    indexes.dedup();
    indexes.retain(|index| !index.starts_with("sqlite_autoindex"));
    assert!(indexes.len() >= 9, "{indexes:?}");
    store.close().await;
    for index in indexes {
        let dir = tempfile::tempdir()?;
        sqlite_store(&dir).await?.close().await;
        // Dropped over a connection of its own while the store is closed, so every connection
        // of the store plans on the schema without it.
        {
            use sqlx::Connection;
            let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await?;
            sqlx::query(&format!("DROP INDEX {index}")).execute(&mut conn).await?;
            let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = $1")
                .bind(index)
                .fetch_one(&mut conn)
                .await?;
            assert_eq!(left, 0, "{index} is still there");
            conn.close().await?;
        }
        let store = sqlite_store(&dir).await?;
        let faults = sqlite_faults(&store).await?;
        let mut plans = Vec::new();
        for query in store.list_queries().iter().filter(|q| q.indexes.contains(&index)) {
            plans.push(format!("{}: {:?}", query.name, store.explain(query).await?));
        }
        assert!(!faults.is_empty(), "dropping {index} went unnoticed: {plans:#?}");
        store.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn every_list_query_uses_its_index_on_postgres() -> TestResult {
    let pg = PgServer::start()?;
    let store = Store::connect(&pg.url()).await?;
    // An empty table is cheapest to read whole: forbid that, so the plan shows what the indexes
    // allow (as on a table of a million rows).
    sqlx::query("ALTER DATABASE test SET enable_seqscan = off")
        .execute(store.pool())
        .await?;
    sqlx::query("ALTER DATABASE test SET enable_sort = off")
        .execute(store.pool())
        .await?;
    store.close().await;
    let store = Store::connect(&pg.url()).await?;
    let faults = postgres_faults(&store).await?;
    assert!(faults.is_empty(), "{}", faults.join("\n"));
    // The check sees a missing index here too.
    for index in ["ln_invoices_state_created", "payments_settled", "fatture_client_lower"] {
        sqlx::query(&format!("DROP INDEX {index}"))
            .execute(store.pool())
            .await?;
        let faults = postgres_faults(&store).await?;
        assert!(!faults.is_empty(), "dropping {index} went unnoticed");
    }
    Ok(())
}

fn fattura(n: u32) -> NewFattura {
    let total = Decimal::new(1000 + i64::from(n), 2);
    NewFattura {
        numero: format!("F{n:03}"),
        data: NaiveDate::from_ymd_opt(2025, 1, 1 + n % 28).unwrap_or_default(),
        cedente_piva: "IT01234567890".into(),
        client_name: if n.is_multiple_of(2) {
            "Rossi Srl".into()
        } else {
            "Bianchi SpA".into()
        },
        client_piva: Some(format!("IT{:011}", 1000 + n)),
        client_cf: None,
        description: "Consulenza".into(),
        totale_eur: total,
        ritenuta_eur: Decimal::ZERO,
        bollo_eur: Decimal::ZERO,
        due_eur: total,
        source: "manual".into(),
    }
}

fn invoice(n: u32, created_at: i64) -> NewLnInvoice {
    NewLnInvoice {
        fattura_id: None,
        numero: None,
        payment_hash: format!("{:064x}", 0xabc000 + n),
        preimage: format!("{:064x}", n + 1000),
        memo: "m".into(),
        amount_eur: Decimal::new(100, 2),
        amount_msat: 2_222_223,
        rate_eur_per_btc: Decimal::new(45_000, 0),
        rate_source: "fallback".into(),
        rate_at: 1,
        rate_is_fallback: true,
        expiry_secs: 60,
        created_at,
        rate_evidence: Vec::new(),
        identity: None,
    }
}

/// Fills `store` and checks pages, searches and counts against what was stored.
async fn pages_searches_and_counts(store: &Store) -> TestResult {
    for n in 0..6 {
        store.add_fattura(&fattura(n), 1_700_000_000).await?;
    }
    let mut ids = Vec::new();
    for n in 0..23u32 {
        // Three invoices share each second: ties are broken by id.
        let made = store
            .insert_pending_ln_invoice(&invoice(n, 1_700_000_000 + i64::from(n / 3)))
            .await?;
        ids.push(made.id);
    }
    for id in &ids[..10] {
        store.set_ln_state(id, InvoiceState::Open, false).await?;
    }
    for id in &ids[..4] {
        store
            .settle_ln_invoice(id, 2_222_223, None, 1_700_000_100, None)
            .await?;
    }
    store.set_ln_state(&ids[5], InvoiceState::Canceled, true).await?;
    store.delete_pending_ln_invoice(&ids[22]).await?;

    // The counts match the rows, per state.
    let counts = store.list_counts().await?;
    for state in InvoiceState::ALL {
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ln_invoices WHERE state = $1")
            .bind(state.as_str())
            .fetch_one(store.pool())
            .await?;
        assert_eq!(counts.ln_invoices_in(Some(state)) as i64, stored, "{state:?}");
    }
    assert_eq!(counts.ln_invoices_in(Some(InvoiceState::Settled)), 4);
    assert_eq!(counts.ln_invoices_in(Some(InvoiceState::Pending)), 12);
    assert_eq!(counts.ln_invoices_in(None), 22);
    assert_eq!((counts.fatture, counts.payments), (6, 4));

    // Pages of 4 walk every invoice once, in order, both ways; a cursor survives its text form.
    for order in [ListOrder::NewestFirst, ListOrder::OldestFirst] {
        for state in [None, Some(InvoiceState::Pending)] {
            let mut walked = Vec::new();
            let mut after: Option<PageCursor> = None;
            loop {
                let filter = LnInvoiceFilter {
                    state,
                    limit: 4,
                    order,
                    after: after.take(),
                    ..LnInvoiceFilter::default()
                };
                let page = store.ln_invoice_page(&filter).await?;
                assert!(page.rows.len() <= 4);
                walked.extend(page.rows.iter().map(|r| (r.created_at, r.id.clone(), r.state.as_str())));
                match page.next {
                    Some(next) => after = Some(PageCursor::parse(&next.encode())?),
                    None => break,
                }
            }
            let mut expected = walked.clone();
            expected.sort();
            if order == ListOrder::NewestFirst {
                expected.reverse();
            }
            assert_eq!(walked, expected, "{order:?} {state:?}");
            let want = counts.ln_invoices_in(state) as usize;
            assert_eq!(walked.len(), want, "{order:?} {state:?}");
            assert!(state.is_none_or(|s| walked.iter().all(|w| w.2 == s.as_str())));
        }
    }

    // Payments and fatture page the same way.
    let first = store.payment_page(None, ListOrder::OldestFirst, None, 3).await?;
    let next = first.next.clone().ok_or("a second page of payments")?;
    let second = store.payment_page(None, ListOrder::OldestFirst, Some(&next), 3).await?;
    assert_eq!(
        (first.rows.len(), second.rows.len(), second.next.is_none()),
        (3, 1, true)
    );
    let fatture = store.fattura_page(None, ListOrder::NewestFirst, None, 4).await?;
    let next = fatture.next.clone().ok_or("a second page of fatture")?;
    let rest = store.fattura_page(None, ListOrder::NewestFirst, Some(&next), 4).await?;
    let mut dates: Vec<_> = fatture.rows.iter().chain(&rest.rows).map(|f| (f.data, f.id)).collect();
    assert_eq!(dates.len(), 6);
    let walked = dates.clone();
    dates.sort();
    dates.reverse();
    assert_eq!(walked, dates);

    // Prefix searches: numero, client name, P.IVA (any case), payment hash; not inside words.
    let found = |page: openfatture::store::Page<openfatture::store::Fattura>| {
        page.rows.iter().map(|f| f.numero.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        found(
            store
                .fattura_page(Some("f00"), ListOrder::OldestFirst, None, 50)
                .await?
        )
        .len(),
        6
    );
    assert_eq!(
        found(
            store
                .fattura_page(Some("ROSSI"), ListOrder::OldestFirst, None, 50)
                .await?
        ),
        ["F000", "F002", "F004"]
    );
    assert_eq!(
        found(
            store
                .fattura_page(Some("it0000000100"), ListOrder::NewestFirst, None, 50)
                .await?
        ),
        ["F005", "F004", "F003", "F002", "F001", "F000"]
    );
    assert!(found(
        store
            .fattura_page(Some("ossi"), ListOrder::NewestFirst, None, 50)
            .await?
    )
    .is_empty());
    let hash = format!("{:064x}", 0xabc000 + 2);
    let by_hash = |search: String| LnInvoiceFilter {
        search: Some(search),
        limit: 50,
        ..LnInvoiceFilter::default()
    };
    let found = store.ln_invoice_page(&by_hash(hash.to_uppercase())).await?;
    assert_eq!(
        found.rows.iter().map(|r| r.payment_hash.as_str()).collect::<Vec<_>>(),
        [hash.as_str()]
    );
    // "…abc01": abc010 to abc015 (abc016 was deleted), newest first.
    let found = store
        .ln_invoice_page(&by_hash(format!("{:064x}", 0xabc010)[..63].to_string()))
        .await?;
    let seconds: Vec<i64> = found.rows.iter().map(|r| r.created_at - 1_700_000_000).collect();
    assert_eq!(seconds, [7, 6, 6, 6, 5, 5]);
    let paid = store
        .payment_page(Some(&hash), ListOrder::NewestFirst, None, 50)
        .await?;
    assert_eq!(paid.rows.len(), 1);
    assert!(store
        .payment_page(Some(&format!("{:064x}", 0xabc009)), ListOrder::NewestFirst, None, 50)
        .await?
        .rows
        .is_empty());
    let by_id = store
        .ln_invoice_page(&LnInvoiceFilter {
            search: Some(ids[7].to_lowercase()),
            limit: 50,
            ..LnInvoiceFilter::default()
        })
        .await?;
    assert_eq!(
        by_id.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        [ids[7].clone()]
    );
    Ok(())
}

#[tokio::test]
async fn keyset_pages_searches_and_counts_on_sqlite() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = sqlite_store(&dir).await?;
    pages_searches_and_counts(&store).await
}

#[tokio::test]
async fn keyset_pages_searches_and_counts_on_postgres() -> TestResult {
    let pg = PgServer::start()?;
    let store = Store::connect(&pg.url()).await?;
    pages_searches_and_counts(&store).await
}
