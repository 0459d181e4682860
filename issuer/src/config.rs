//! Configuration: the command line (`issuer serve ...`, `issuer token create ...`) and the
//! [`Config`] a launcher builds directly for [`crate::run`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use url::Url;
use zeroize::Zeroizing;

use crate::store::Role;

/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./data/issuer";
/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8081";
/// Minimum length of `ISSUER_ADMIN_TOKEN`.
pub const MIN_ADMIN_TOKEN_LEN: usize = 32;

/// Where the key-encryption secret comes from.
#[derive(Clone)]
pub enum KeySecretSource {
    /// A passphrase (`ISSUER_KEY_SECRET`), stretched with Argon2id.
    Passphrase(Zeroizing<String>),
    /// A file of at least 32 random bytes (`--key-file`), expanded with HKDF-SHA256.
    KeyFile(PathBuf),
}

impl std::fmt::Debug for KeySecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySecretSource::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
            KeySecretSource::KeyFile(p) => f.debug_tuple("KeyFile").field(p).finish(),
        }
    }
}

/// Resource limits of the HTTP service (security.md, "HTTP services").
#[derive(Debug, Clone)]
pub struct Limits {
    /// Maximum request body in bytes.
    pub body_bytes: usize,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Requests handled at once.
    pub concurrency: usize,
    /// Failed admin authentications per client per minute before `429`.
    pub auth_failures_per_minute: u32,
    /// Token endpoint requests per client per minute before `429`.
    pub token_requests_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(15),
            concurrency: 256,
            auth_failures_per_minute: 10,
            token_requests_per_minute: 60,
        }
    }
}

/// Everything [`crate::run`] needs. `Debug` redacts the admin token.
#[derive(Clone)]
pub struct Config {
    /// The data directory (redb file inside).
    pub data_dir: PathBuf,
    /// The public base URL (credential issuer identifier). https -> did:web.
    pub public_url: Url,
    /// The issuer's display name (metadata).
    pub name: String,
    /// The admin token from `ISSUER_ADMIN_TOKEN`, if set.
    pub admin_token: Option<Zeroizing<String>>,
    /// The key-encryption secret.
    pub key_secret: KeySecretSource,
    /// HTTP limits.
    pub limits: Limits,
    /// Entries per status list (at least 131,072).
    pub status_list_size: u64,
    /// Lifetime of a pre-authorized code.
    pub offer_ttl: Duration,
    /// Lifetime of an access token.
    pub access_token_ttl: Duration,
    /// Lifetime of a `c_nonce`.
    pub nonce_ttl: Duration,
    /// Seed the demo issuer: create a fresh proof-of-age offer at start and write it to
    /// `<data>/demo-offer.json`.
    pub demo_offer: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("public_url", &self.public_url.as_str())
            .field("name", &self.name)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("key_secret", &self.key_secret)
            .field("limits", &self.limits)
            .field("status_list_size", &self.status_list_size)
            .field("demo_offer", &self.demo_offer)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A configuration with the defaults of `issuer serve`.
    pub fn new(data_dir: PathBuf, public_url: Url, key_secret: KeySecretSource) -> Self {
        Self {
            data_dir,
            public_url,
            name: "Disclose Issuer".into(),
            admin_token: None,
            key_secret,
            limits: Limits::default(),
            status_list_size: credentials::status_list::MIN_ENTRIES as u64,
            offer_ttl: Duration::from_secs(7 * 24 * 3600),
            access_token_ttl: Duration::from_secs(600),
            nonce_ttl: Duration::from_secs(300),
            demo_offer: false,
        }
    }

    /// The public URL without a trailing slash (the credential issuer identifier).
    pub fn issuer_url(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }
}

/// `issuer`: an OpenID4VCI / VC-API credential issuer.
#[derive(Debug, Parser)]
#[command(name = "issuer", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the issuer service.
    Serve(ServeArgs),
    /// Manage admin API tokens (the service must be stopped: the database is locked while it
    /// runs; use `POST /admin/tokens` then).
    Token {
        /// Token action.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Create a random 32-byte key file (mode 0600) for `--key-file`.
    KeyFile {
        /// Where to write it (must not exist).
        path: PathBuf,
    },
}

/// Token actions.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token; prints it once, stores only its SHA-256.
    Create {
        /// Data directory.
        #[arg(long, default_value = DEFAULT_DATA_DIR)]
        data: PathBuf,
        /// Role: `admin` (everything) or `operator` (offers, credentials, revocation).
        #[arg(long, value_enum, default_value_t = RoleArg::Operator)]
        role: RoleArg,
        /// A label for humans (shown in the audit log as the token id's owner).
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

/// A role on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Full admin.
    Admin,
    /// Issuing operator.
    Operator,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Operator => Role::Operator,
        }
    }
}

/// `issuer serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Data directory holding the redb database (created with mode 0700).
    #[arg(long, default_value = DEFAULT_DATA_DIR)]
    pub data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Public base URL of the service, used as the credential issuer identifier and in
    /// status-list URLs. Defaults to `http://<listen>`. An https URL makes the issuer DID a
    /// did:web served at `/.well-known/did.json`; otherwise it is a did:key.
    #[arg(long)]
    pub public_url: Option<Url>,
    /// Display name of the issuer in the OpenID4VCI metadata.
    #[arg(long, default_value = "Disclose Issuer")]
    pub name: String,
    /// File with at least 32 random bytes (mode 0600) protecting the signing keys at rest.
    /// Alternative: the `ISSUER_KEY_SECRET` environment variable (a passphrase, >= 16
    /// characters). One of the two is required.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Maximum request body size in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 15)]
    pub request_timeout_secs: u64,
    /// Maximum number of requests handled concurrently.
    #[arg(long, default_value_t = 256)]
    pub max_concurrency: usize,
    /// Requests per client address per minute to the token and nonce endpoints.
    #[arg(long, default_value_t = 60)]
    pub token_requests_per_minute: u32,
    /// Failed admin authentications per client address per minute before `429`.
    #[arg(long, default_value_t = 10)]
    pub auth_failures_per_minute: u32,
    /// Entries per status list (at least 131072).
    #[arg(long, default_value_t = 131_072)]
    pub status_list_size: u64,
    /// Lifetime of a credential offer's pre-authorized code, in seconds.
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    pub offer_ttl_secs: u64,
    /// Demo: name the issuer "State ID Office" (unless --name is given) and create a fresh
    /// proof-of-age offer at start, written to `<data>/demo-offer.json` and printed.
    #[arg(long)]
    pub demo: bool,
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither `ISSUER_KEY_SECRET` nor `--key-file`.
    #[error("no key secret: set ISSUER_KEY_SECRET or pass --key-file")]
    NoKeySecret,
    /// Both were given.
    #[error("both ISSUER_KEY_SECRET and --key-file are set; choose one")]
    TwoKeySecrets,
    /// The public URL is not http(s) or carries a query/fragment.
    #[error("--public-url must be an http or https URL without query or fragment")]
    PublicUrl,
    /// The status list size is below the herd-privacy minimum.
    #[error("--status-list-size must be at least 131072")]
    StatusListSize,
    /// A limit is zero.
    #[error("limits must be positive")]
    Limits,
}

impl ServeArgs {
    /// Builds the [`Config`], taking secrets from the given environment values.
    pub fn into_config(
        self,
        admin_token_env: Option<String>,
        key_secret_env: Option<String>,
    ) -> Result<Config, ConfigError> {
        let key_secret = match (key_secret_env, self.key_file) {
            (Some(_), Some(_)) => return Err(ConfigError::TwoKeySecrets),
            (Some(s), None) => KeySecretSource::Passphrase(Zeroizing::new(s)),
            (None, Some(p)) => KeySecretSource::KeyFile(p),
            (None, None) => return Err(ConfigError::NoKeySecret),
        };
        let public_url = match self.public_url {
            Some(u) => u,
            None => Url::parse(&format!("http://{}", self.listen))
                .map_err(|_| ConfigError::PublicUrl)?,
        };
        let name = if self.demo && self.name == "Disclose Issuer" {
            "State ID Office".to_owned()
        } else {
            self.name
        };
        let mut config = Config::new(self.data, public_url, key_secret);
        config.name = name;
        config.admin_token = admin_token_env.map(Zeroizing::new);
        config.limits.body_bytes = self.max_body_bytes;
        config.limits.request_timeout = Duration::from_secs(self.request_timeout_secs);
        config.limits.concurrency = self.max_concurrency;
        config.limits.token_requests_per_minute = self.token_requests_per_minute;
        config.limits.auth_failures_per_minute = self.auth_failures_per_minute;
        config.status_list_size = self.status_list_size;
        config.offer_ttl = Duration::from_secs(self.offer_ttl_secs);
        config.demo_offer = self.demo;
        validate(&config)?;
        Ok(config)
    }
}

/// Checks a configuration built by hand or from the command line.
pub fn validate(config: &Config) -> Result<(), ConfigError> {
    let u = &config.public_url;
    if !matches!(u.scheme(), "http" | "https")
        || u.query().is_some()
        || u.fragment().is_some()
        || u.host().is_none()
    {
        return Err(ConfigError::PublicUrl);
    }
    if config.status_list_size < credentials::status_list::MIN_ENTRIES as u64 {
        return Err(ConfigError::StatusListSize);
    }
    let l = &config.limits;
    if l.body_bytes == 0
        || l.concurrency == 0
        || l.request_timeout.is_zero()
        || l.auth_failures_per_minute == 0
        || l.token_requests_per_minute == 0
    {
        return Err(ConfigError::Limits);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn serve(args: &[&str]) -> ServeArgs {
        let mut full = vec!["issuer", "serve"];
        full.extend_from_slice(args);
        match Cli::try_parse_from(full).unwrap().command {
            Command::Serve(s) => s,
            _ => panic!(),
        }
    }

    #[test]
    fn defaults_follow_the_issue() {
        let c = serve(&["--key-file", "/k"])
            .into_config(None, None)
            .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("./data/issuer"));
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8081/");
        assert_eq!(c.issuer_url(), "http://127.0.0.1:8081");
        assert_eq!(c.status_list_size, 131_072);
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = serve(&[])
            .into_config(
                Some("admin-token-that-is-long-enough-000000".into()),
                Some("passphrase-secret-1234".into()),
            )
            .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("admin-token-that-is-long-enough"));
        assert!(!shown.contains("passphrase-secret"));
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn key_secret_is_required_and_unique() {
        assert_eq!(
            serve(&[]).into_config(None, None).unwrap_err(),
            ConfigError::NoKeySecret
        );
        assert_eq!(
            serve(&["--key-file", "/k"])
                .into_config(None, Some("x".into()))
                .unwrap_err(),
            ConfigError::TwoKeySecrets
        );
    }

    #[test]
    fn small_status_lists_and_odd_urls_are_refused() {
        assert_eq!(
            serve(&["--key-file", "/k", "--status-list-size", "1000"])
                .into_config(None, None)
                .unwrap_err(),
            ConfigError::StatusListSize
        );
        assert_eq!(
            serve(&["--key-file", "/k", "--public-url", "ftp://x.example"])
                .into_config(None, None)
                .unwrap_err(),
            ConfigError::PublicUrl
        );
    }

    #[test]
    fn help_explains_every_serve_option() {
        let mut cmd = Cli::command();
        let serve = cmd.find_subcommand_mut("serve").unwrap();
        let help = serve.render_long_help().to_string();
        for opt in [
            "--data",
            "--listen",
            "--public-url",
            "--key-file",
            "--max-body-bytes",
            "--demo",
        ] {
            assert!(help.contains(opt), "{opt} missing from --help");
        }
        assert!(help.contains("ISSUER_KEY_SECRET"));
    }
}
