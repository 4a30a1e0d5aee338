//! Email out over SMTP with `lettre`: the payment link and the courtesy copy to a client. The
//! server, port, security (`none`, `starttls`, `tls`), account and sender come from the `smtp_*`
//! settings; the password is a secret and is never logged. A send that fails for a reason that
//! may pass (the server unreachable, a 4xx answer) is tried again a few times within one attempt
//! before the error is given to the caller (the mail outbox, which tries again later); a
//! permanent refusal (5xx, a bad address) is not retried.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT_SECS: u64 = 20;
/// Attempts for a failure that may pass.
const SEND_ATTEMPTS: u32 = 3;
/// Wait before the second attempt (doubled for each next one).
const FIRST_RETRY_DELAY_MS: u64 = 500;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text (a relay on the same machine or network only).
    None,
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl SmtpSecurity {
    /// The setting's word for it.
    pub fn parse(text: &str) -> Option<SmtpSecurity> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Some(SmtpSecurity::None),
            "starttls" => Some(SmtpSecurity::StartTls),
            "tls" => Some(SmtpSecurity::Tls),
            _ => None,
        }
    }
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// SMTP server host name.
    pub host: String,
    /// SMTP server port.
    pub port: u16,
    /// Connection security.
    pub security: SmtpSecurity,
    /// Account name, when the server wants one.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<SecretString>,
    /// The sender, `Name <address>` or `address`.
    pub from: String,
    /// A certificate authority (PEM) to trust for the server's certificate besides the public
    /// ones (`smtp_ca_file`), for a server with its own CA.
    pub ca_pem: Option<Vec<u8>>,
}

/// One message to a client.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// The recipient's address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// A PDF to attach: file name and bytes.
    pub pdf: Option<(String, Vec<u8>)>,
}

/// Why an email was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address is not an email address.
    #[error("'{address}' is not an email address ({reason}): write it like mario.rossi@example.it")]
    BadAddress {
        /// The address as given.
        address: String,
        /// What the parser said.
        reason: String,
    },
    /// The message could not be put together.
    #[error("the email could not be composed: {0}")]
    Compose(String),
    /// The SMTP server could not be reached or refused the message.
    #[error("the SMTP server {server} did not take the email after {attempts} attempt(s): {reason}")]
    Smtp {
        /// `host:port`.
        server: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        reason: String,
        /// True when the server refused for good (5xx): trying again will not help.
        permanent: bool,
    },
}

impl MailError {
    /// A short code for the failure, which the pages translate: `bad_address`, `setup` (the
    /// settings or the message), `refused` (the server said no for good) or `unreachable` (it may
    /// pass: the server down, a timeout, a 4xx answer, a TLS failure).
    pub fn code(&self) -> &'static str {
        match self {
            MailError::BadAddress { .. } => "bad_address",
            MailError::Compose(_) => "setup",
            MailError::Smtp { permanent: true, .. } => "refused",
            MailError::Smtp { .. } => "unreachable",
        }
    }

    /// Whether trying again later may help.
    pub fn may_pass(&self) -> bool {
        self.code() == "unreachable"
    }
}

/// Sends mail through one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    config: MailConfig,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("host", &self.config.host)
            .field("port", &self.config.port)
            .finish_non_exhaustive()
    }
}

/// `address` as a mailbox, or why not.
fn mailbox(address: &str) -> Result<Mailbox, MailError> {
    address.trim().parse::<Mailbox>().map_err(|e| MailError::BadAddress {
        address: address.to_string(),
        reason: e.to_string(),
    })
}

/// Refuses `address` when it is not an email address.
pub fn check_address(address: &str) -> Result<(), MailError> {
    mailbox(address).map(|_| ())
}

impl Mailer {
    /// A mailer for `config`; refuses a sender that is not an address.
    pub fn new(config: MailConfig) -> Result<Mailer, MailError> {
        let from = mailbox(&config.from)?;
        Ok(Mailer { config, from })
    }

    /// The TLS parameters: the public authorities, and the `smtp_ca_file` one when set.
    fn tls_parameters(&self) -> Result<TlsParameters, String> {
        let mut builder = TlsParameters::builder(self.config.host.clone());
        if let Some(pem) = &self.config.ca_pem {
            let ca = Certificate::from_pem(pem).map_err(|e| format!("smtp_ca_file is not a PEM certificate: {e}"))?;
            builder = builder.add_root_certificate(ca);
        }
        builder.build_rustls().map_err(|e| e.to_string())
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let host = self.config.host.as_str();
        let plain = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host);
        let builder = match self.config.security {
            SmtpSecurity::None => plain,
            SmtpSecurity::StartTls => plain.tls(Tls::Required(self.tls_parameters()?)),
            SmtpSecurity::Tls => plain.tls(Tls::Wrapper(self.tls_parameters()?)),
        };
        let mut builder = builder
            .port(self.config.port)
            .timeout(Some(Duration::from_secs(SMTP_TIMEOUT_SECS)));
        if let (Some(user), Some(password)) = (&self.config.username, &self.config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose_secret().to_string()));
        }
        Ok(builder.build())
    }

    /// Sends `mail`, trying again after a failure that may pass.
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let to = mailbox(&mail.to)?;
        let text = SinglePart::plain(mail.body.clone());
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone());
        let message = match &mail.pdf {
            Some((name, bytes)) => {
                let pdf = ContentType::parse("application/pdf").map_err(|e| MailError::Compose(e.to_string()))?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(text)
                        .singlepart(Attachment::new(name.clone()).body(bytes.clone(), pdf)),
                )
            }
            None => builder.singlepart(text),
        }
        .map_err(|e| MailError::Compose(e.to_string()))?;
        let server = format!("{}:{}", self.config.host, self.config.port);
        let transport = self.transport().map_err(|reason| MailError::Smtp {
            server: server.clone(),
            attempts: 0,
            reason,
            permanent: false,
        })?;
        let mut delay = Duration::from_millis(FIRST_RETRY_DELAY_MS);
        let mut attempt = 1;
        loop {
            match transport.send(message.clone()).await {
                Ok(_) => return Ok(()),
                Err(e) if e.is_permanent() || attempt >= SEND_ATTEMPTS => {
                    return Err(MailError::Smtp {
                        server,
                        attempts: attempt,
                        reason: e.to_string(),
                        permanent: e.is_permanent(),
                    })
                }
                Err(e) => {
                    tracing::warn!(server = %server, attempt, error = %e, "email not sent, trying again");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_words_and_addresses() {
        assert_eq!(SmtpSecurity::parse("STARTTLS"), Some(SmtpSecurity::StartTls));
        assert_eq!(SmtpSecurity::parse("none"), Some(SmtpSecurity::None));
        assert_eq!(SmtpSecurity::parse("ssl"), None);
        assert!(mailbox("Studio Verdi <fatture@verdi.it>").is_ok());
        assert!(matches!(mailbox("not an address"), Err(MailError::BadAddress { .. })));
    }
}
