//! The command line, `manage.py`-style. The forms are a contract (brief §4): scripts and tests
//! call them, so arguments are parsed in their final shape even where the command arrives later.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};
use strata_cache::Namespace;

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = "The Strata content platform", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the web pages and the admin on one port.
    Serve(ServeArgs),
    /// Create or upgrade the database schema (idempotent).
    Migrate,
    /// Create an admin user; prompts for whatever is not given.
    #[command(name = "createsuperuser")]
    CreateSuperuser(CreateSuperuserArgs),
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Fill the database with deterministic demo data (idempotent).
    Seed(SeedArgs),
    /// Operate the data cache (never a global clear).
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, `HOST:PORT` or a bare `PORT` (on 127.0.0.1) [default: `bind`
    /// setting, 127.0.0.1:8000]; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", value_parser = parse_bind)]
    pub bind: Option<SocketAddr>,
    /// Seed the demo data set first (idempotent), so there is something to browse.
    #[arg(long)]
    pub demo: bool,
}

/// `HOST:PORT`, or a bare port on the loopback address (as `manage.py runserver 8001`).
fn parse_bind(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| {
        format!("`{text}` is neither HOST:PORT (127.0.0.1:8000, [::1]:8000) nor a port (8000)")
    })
}

#[derive(Debug, Args)]
pub struct CreateSuperuserArgs {
    /// Login name: letters, digits and @.+-_ (prompted for if not given).
    #[arg(long, value_name = "U")]
    pub username: Option<String>,
    /// Email address (prompted for if not given).
    #[arg(long, value_name = "E")]
    pub email: Option<String>,
    /// Password (prompted for if not given). A flag is visible to other local users in the
    /// process list: prefer the prompt.
    #[arg(long, value_name = "P")]
    pub password: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; prints it alone on the last line of stdout.
    Create {
        /// Username of the token's owner.
        #[arg(long, value_name = "U")]
        user: String,
        /// Refuse the token after this many days (default: valid until revoked).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36500))]
        expires_in_days: Option<u32>,
    },
    /// List API tokens (id, owner, created, expiry); keys are never shown again.
    List {
        /// Only this user's tokens.
        #[arg(long, value_name = "U")]
        user: Option<String>,
    },
    /// Revoke a token by its id, or every token of a user.
    Revoke {
        /// The token's id, as `token list` shows it.
        #[arg(required_unless_present = "user", conflicts_with = "user")]
        id: Option<i64>,
        /// Revoke every token of this user.
        #[arg(long, value_name = "U")]
        user: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Seed the demo data set (the only data set so far, hence required).
    #[arg(long, required = true)]
    pub demo: bool,
    /// Number of demo properties.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub properties: u32,
    /// Number of demo blog posts (ignored until the blog app exists).
    #[arg(long, value_name = "N")]
    pub posts: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Pre-fill the public lists' first pages and the published details, both languages.
    Warm,
    /// Scan the live keyspace for keys off the convention, without TTL or oversized.
    Audit {
        /// Values larger than this many bytes are reported as oversized.
        #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
        max_bytes: u64,
    },
    /// Print the cache's health as JSON.
    Stats,
    /// List namespaces whose caching is off, or switch one off or on (all instances, < 1 s).
    Flags(FlagsArgs),
    /// Delete every key of one namespace, e.g. `public:property:list`.
    Invalidate {
        #[arg(value_name = "NAMESPACE", value_parser = parse_namespace)]
        namespace: Namespace,
    },
}

#[derive(Debug, Args)]
pub struct FlagsArgs {
    /// Turn caching of NAMESPACE off.
    #[arg(long, value_name = "NAMESPACE", value_parser = parse_namespace, conflicts_with = "on")]
    pub off: Option<Namespace>,
    /// Turn caching of NAMESPACE back on.
    #[arg(long, value_name = "NAMESPACE", value_parser = parse_namespace)]
    pub on: Option<Namespace>,
}

/// Operators type namespaces by hand; a typo is a usage error (exit 2), not a silent no-op.
fn parse_namespace(text: &str) -> Result<Namespace, strata_cache::KeyError> {
    Namespace::parse(text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("strata").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn contract_forms_parse() {
        for args in [
            &["serve"][..],
            &["serve", "--bind", "127.0.0.1:0"],
            &["migrate"],
            &[
                "createsuperuser",
                "--username",
                "u",
                "--email",
                "e@x",
                "--password",
                "p",
            ],
            &["createsuperuser"],
            &["token", "create", "--user", "u"],
            &["token", "create", "--user", "u", "--expires-in-days", "30"],
            &["token", "list"],
            &["token", "list", "--user", "u"],
            &["token", "revoke", "7"],
            &["token", "revoke", "--user", "u"],
            &["seed", "--demo"],
            &["seed", "--demo", "--properties", "5", "--posts", "3"],
            &["cache", "warm"],
            &["cache", "audit"],
            &["cache", "stats"],
            &["cache", "flags"],
            &["cache", "flags", "--off", "public:demo:list"],
            &["cache", "flags", "--on", "public:demo:list"],
            &["cache", "invalidate", "public:property:list"],
        ] {
            assert!(parse(args).is_ok(), "{args:?}: {:?}", parse(args).err());
        }
    }

    #[test]
    fn help_offers_only_what_works() {
        let mut cache = Cli::command();
        let help = cache
            .find_subcommand_mut("cache")
            .unwrap()
            .render_help()
            .to_string();
        assert!(help.contains("invalidate"), "{help}");
        assert!(help.contains("warm"), "{help}");
        let mut cli = Cli::command();
        let superuser = cli
            .find_subcommand_mut("createsuperuser")
            .unwrap()
            .render_help()
            .to_string();
        for flag in ["--username <U>  ", "--email <E>  ", "--password <P>  "] {
            let line = superuser
                .lines()
                .find(|l| l.contains(flag))
                .unwrap_or_else(|| panic!("{flag} missing:\n{superuser}"));
            assert!(
                line.split(flag)
                    .nth(1)
                    .is_some_and(|h| !h.trim().is_empty()),
                "{flag} has no help:\n{superuser}"
            );
        }
    }

    #[test]
    fn a_bare_port_binds_the_loopback_address() {
        assert_eq!(
            parse_bind("18901"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 18901)))
        );
        assert_eq!(
            parse_bind("0.0.0.0:80"),
            Ok(SocketAddr::from(([0, 0, 0, 0], 80)))
        );
        assert!(parse_bind("65536").is_err());
        assert!(parse_bind("localhost").is_err());
    }

    #[test]
    fn bad_forms_are_usage_errors() {
        for args in [
            &["serve", "--bind", "nowhere"][..],
            &["seed"],
            &["token", "create"],
            &["token", "create", "--user", "u", "--expires-in-days", "0"],
            &["token", "revoke"],
            &["token", "revoke", "7", "--user", "u"],
            &["cache", "invalidate", "bad-ns"],
            &["cache", "invalidate"],
            &["cache", "flags", "--off", "public:Demo:list"],
            &[
                "cache",
                "flags",
                "--off",
                "public:a:b",
                "--on",
                "public:a:b",
            ],
        ] {
            let error = parse(args).expect_err(&format!("{args:?} should fail"));
            assert_eq!(error.exit_code(), 2, "{args:?}");
        }
    }
}
