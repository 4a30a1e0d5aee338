//! Receipts of paid POS sales (issue 36): what a receipt shows, its customer link `/r/{token}`
//! (a token like a payment link's: 256 random bits, base64url, only its SHA-256 stored, shown
//! once; a sale may have several) and printing it on the till's ESC/POS printer.

use app::i18n::{text_in, Lang};
use secrecy::{ExposeSecret, SecretString};

use super::{CounterError, CounterService};
use crate::invoices::{is_token_shaped, new_token, token_hash};
use crate::render::{receipt_escpos, Receipt, VatLine};
use crate::store::{cents_to_eur, InvoiceState, ReceiptSaleRow};

/// The Lightning invoice description of a POS sale rung up without a note (not shown on receipts).
pub const UNNOTED_SALE_MEMO: &str = "POS sale";

/// The path of the receipt page, before the token.
pub const RECEIPT_PATH: &str = "/r/";

/// The shop as receipts name it, from the settings.
#[derive(Debug, Clone, Default)]
pub struct ReceiptShop {
    /// `shop_name`.
    pub name: Option<String>,
    /// `shop_vat_number`.
    pub vat_number: Option<String>,
    /// `shop_address`.
    pub address: Option<String>,
    /// `shop_timezone`.
    pub timezone: String,
    /// `public_base_url`: where customers open receipt links.
    pub public_base_url: Option<String>,
}

impl ReceiptShop {
    /// The link of receipt `token`: `{public_base_url}/r/{token}`, or the bare path.
    pub fn receipt_url(&self, token: &SecretString) -> String {
        let base = self.public_base_url.as_deref().unwrap_or("").trim_end_matches('/');
        format!("{base}{RECEIPT_PATH}{}", token.expose_secret())
    }
}

/// A paid sale's receipt and its till's printer.
#[derive(Debug, Clone)]
pub struct SaleReceipt {
    /// What the receipt shows.
    pub receipt: Receipt,
    /// The till's printer, `HOST:PORT`, if it has one.
    pub printer_address: Option<String>,
    /// Whether the till prints receipts by itself when a sale is paid.
    pub auto_print: bool,
}

impl CounterService {
    /// The receipt of paid POS sale `sale_id`.
    pub async fn receipt(&self, sale_id: &str, shop: &ReceiptShop) -> Result<SaleReceipt, CounterError> {
        let sale_id = sale_id.trim();
        let unknown = || CounterError::UnknownSale(sale_id.to_string());
        let sale = self.store.receipt_sale(sale_id).await?.ok_or_else(unknown)?;
        let invoice = self.store.ln_invoice(sale_id).await?.ok_or_else(unknown)?;
        if invoice.state != InvoiceState::Settled {
            return Err(CounterError::NotPaid(sale_id.to_string()));
        }
        let note = if invoice.memo == UNNOTED_SALE_MEMO {
            String::new()
        } else {
            invoice.memo.clone()
        };
        let receipt = build(&sale, shop, note, &invoice);
        Ok(SaleReceipt {
            receipt,
            printer_address: sale.printer_address.clone(),
            auto_print: sale.auto_print != 0,
        })
    }

    /// A new customer link to the receipt of paid sale `sale_id`: the receipt and its URL (the
    /// token in it is shown only now).
    pub async fn receipt_link(&self, sale_id: &str, shop: &ReceiptShop) -> Result<(SaleReceipt, String), CounterError> {
        let receipt = self.receipt(sale_id, shop).await?;
        let (token, hash) = new_token();
        self.store
            .add_receipt_token(&receipt.receipt.sale_id, &hash, crate::time::now_secs())
            .await?;
        Ok((receipt, shop.receipt_url(&token)))
    }

    /// The receipt that `token` opens; `None` for a token that opens none (or whose sale is not
    /// paid), looked up the same way whatever its shape.
    pub async fn receipt_for_token(&self, token: &str, shop: &ReceiptShop) -> Result<Option<Receipt>, CounterError> {
        let hash = token_hash(token);
        let Some(sale_id) = self.store.receipt_token_sale(&hash).await? else {
            return Ok(None);
        };
        // A malformed token is hashed and looked up like any other, so it takes as long.
        if !is_token_shaped(token) {
            return Ok(None);
        }
        match self.receipt(&sale_id, shop).await {
            Ok(found) => Ok(Some(found.receipt)),
            Err(CounterError::UnknownSale(_) | CounterError::NotPaid(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Prints the receipt of paid sale `sale_id` on its till's printer, in `lang`, with the QR of
    /// a new receipt link; the printer's address.
    pub async fn print_receipt(&self, sale_id: &str, shop: &ReceiptShop, lang: Lang) -> Result<String, CounterError> {
        let receipt = self.receipt(sale_id, shop).await?;
        let Some(address) = receipt.printer_address.clone() else {
            return Err(CounterError::NoPrinter(receipt.receipt.till.clone()));
        };
        let (_, url) = self.receipt_link(sale_id, shop).await?;
        let bytes = receipt_escpos(&receipt.receipt, lang, Some(&url), text_in(lang, "receipt.scan"));
        crate::printer::send_raw(&address, &bytes).await?;
        Ok(address)
    }

    /// Prints paid sale `sale_id`'s receipt when its till prints by itself (`auto_print` and a
    /// printer), once: the first caller claims it in the database, so two gateways never both
    /// print it. The printer's address when this call printed it.
    pub async fn auto_print_receipt(
        &self,
        sale_id: &str,
        shop: &ReceiptShop,
        lang: Lang,
    ) -> Result<Option<String>, CounterError> {
        let receipt = match self.receipt(sale_id, shop).await {
            Ok(receipt) => receipt,
            Err(CounterError::UnknownSale(_) | CounterError::NotPaid(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        if !receipt.auto_print || receipt.printer_address.is_none() {
            return Ok(None);
        }
        if !self
            .store
            .claim_receipt_auto_print(sale_id, crate::time::now_secs())
            .await?
        {
            return Ok(None);
        }
        self.print_receipt(sale_id, shop, lang).await.map(Some)
    }
}

/// The receipt of `sale`, paid as `invoice`.
fn build(sale: &ReceiptSaleRow, shop: &ReceiptShop, note: String, invoice: &crate::store::LnInvoice) -> Receipt {
    let gross_eur = cents_to_eur(sale.gross_cents);
    let tip_eur = cents_to_eur(sale.tip_cents);
    let rate_label = app::model::VatRate::parse(&sale.vat_rate).map_or_else(|| sale.vat_rate.clone(), |r| r.label());
    Receipt {
        shop_name: shop.name.clone(),
        shop_vat_number: shop.vat_number.clone(),
        shop_address: shop.address.clone(),
        sale_id: sale.invoice_id.clone(),
        till: sale.till_name.clone(),
        cashier: sale.cashier.clone(),
        paid_at_secs: invoice.settled_at.unwrap_or(sale.created_at),
        timezone: shop.timezone.clone(),
        note,
        gross_eur,
        vat: vec![VatLine {
            rate_label,
            net_eur: cents_to_eur(sale.net_cents),
            vat_eur: cents_to_eur(sale.vat_cents),
        }],
        tip_eur,
        total_eur: gross_eur + tip_eur,
        paid_sat: invoice.amt_paid_msat / 1000,
        rate_eur_per_btc: invoice.rate_eur_per_btc,
        rate_source: invoice.rate_source.clone(),
        payment_hash: invoice.payment_hash.clone(),
    }
}
