//! Runs a parsed command line.

use std::io::Write;

use strata_cache::{Cache, CacheError, Invalidation, Namespace, RedisConfigError};

use crate::cli::{CacheCommand, Cli, Command, CreateSuperuserArgs, FlagsArgs, TokenCommand};
use crate::config::{Config, ConfigError};
use crate::server::{self, ServeError};
use crate::state::{StateError, command_changes, open_command_cache, open_db};
use crate::{migrate, seed, telemetry};

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Db(#[from] strata_db::DbError),
    #[error(transparent)]
    Account(#[from] strata_users::AccountError),
    #[error(transparent)]
    Seed(#[from] seed::SeedError),
    #[error("cache warm: {0}")]
    Warm(#[from] strata_api::ApiError),
    #[error("the cache store is unreachable: {0} was NOT invalidated (nothing was queued)")]
    NotInvalidated(Namespace),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot write to stdout: {0}")]
    Output(#[from] std::io::Error),
}

impl CommandError {
    /// 2 for what the operator must fix in the command or configuration, 1 for failures at run
    /// time (retrying may help).
    pub fn exit_code(&self) -> u8 {
        // A TLS handshake the server refused is met at run time (its certificate may be
        // renewed): 1, like other connection failures, though it stops the start.
        let bad_cache_config = |e: &CacheError| match e {
            CacheError::RedisConfig(RedisConfigError::TlsHandshake { .. }) => false,
            CacheError::Settings(_) | CacheError::RedisConfig(_) => true,
            _ => false,
        };
        match self {
            CommandError::Config(_)
            | CommandError::Usage(_)
            | CommandError::Serve(ServeError::State(StateError::Unmigrated(_)))
            | CommandError::Account(
                strata_users::AccountError::BadUsername
                | strata_users::AccountError::BadEmail
                | strata_users::AccountError::WeakPassword(_)
                | strata_users::AccountError::UsernameTaken(_)
                | strata_users::AccountError::NoSuchUser(_),
            ) => 2,
            CommandError::Cache(e)
            | CommandError::Serve(ServeError::State(StateError::Cache(e)))
                if bad_cache_config(e) =>
            {
                2
            }
            _ => 1,
        }
    }
}

pub fn execute(cli: Cli) -> Result<(), CommandError> {
    let config = load(&cli.command)?;
    match cli.command {
        Command::Serve(args) => {
            let mut config = config;
            if let Some(bind) = args.bind {
                config.bind = bind;
            }
            runtime()?.block_on(server::serve(config, args.demo))?;
            Ok(())
        }
        Command::Migrate => with_db(config, |_, db| async move {
            let applied = migrate::migrate(&db).await?;
            print_line(&match applied {
                0 => "No migrations to apply.".to_owned(),
                n => format!("Applied {n} migration(s)."),
            })
        }),
        Command::CreateSuperuser(args) => {
            let (username, email, password) = superuser_fields(args)?;
            with_db(config, |_, db| async move {
                let user =
                    strata_users::create_superuser(&db, &username, &email, &password).await?;
                print_line(&format!("Superuser {:?} created.", user.username))
            })
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    user,
                    expires_in_days,
                },
        } => with_db(config, |_, db| async move {
            let expires_at = expires_in_days
                .map(|days| chrono::Utc::now() + chrono::Duration::days(i64::from(days)));
            let key = strata_users::create_expiring_token(&db, &user, expires_at).await?;
            print_line(&key)
        }),
        Command::Token {
            command: TokenCommand::List { user },
        } => with_db(config, |_, db| async move {
            let owner = match &user {
                Some(name) => Some(user_id(&db, name).await?),
                None => None,
            };
            let now = chrono::Utc::now();
            let mut lines = vec!["id\tuser\tcreated\texpires".to_owned()];
            for (token, owner) in strata_users::list_tokens(&db, owner)
                .await
                .map_err(strata_users::AccountError::Db)?
            {
                let out = strata_users::serializers::token_out(&token, &owner, now);
                let expires = match (&out.expires_at, out.expired) {
                    (None, _) => "never".to_owned(),
                    (Some(at), true) => format!("{at} (expired)"),
                    (Some(at), false) => at.clone(),
                };
                lines.push(format!(
                    "{}\t{}\t{}\t{expires}",
                    out.id, out.username, out.created
                ));
            }
            print_line(&lines.join("\n"))
        }),
        Command::Token {
            command: TokenCommand::Revoke { id, user },
        } => with_db(config, |_, db| async move {
            match (id, user) {
                (Some(id), _) => {
                    if !strata_users::revoke_token(&db, id, None)
                        .await
                        .map_err(strata_users::AccountError::Db)?
                    {
                        return Err(CommandError::Usage(format!("no API token has id {id}")));
                    }
                    print_line(&format!("Token {id} revoked."))
                }
                (None, Some(name)) => {
                    let owner = user_id(&db, &name).await?;
                    let revoked = strata_users::revoke_tokens_of(&db, owner)
                        .await
                        .map_err(strata_users::AccountError::Db)?;
                    print_line(&format!("{revoked} token(s) of {name:?} revoked."))
                }
                (None, None) => Err(CommandError::Usage("give a token id or --user".to_owned())),
            }
        }),
        Command::Seed(args) => with_db(config, |config, db| async move {
            let cache = open_command_cache(&config).await?;
            let changes = command_changes(&config, &db, &cache).map_err(ServeError::from)?;
            let media = crate::state::media_storage(&config).map_err(ServeError::from)?;
            let report = seed::demo(&db, &changes, media.as_ref(), args.properties).await?;
            if args.posts.is_some() {
                eprintln!("note: --posts is ignored until the blog app exists");
            }
            print_line(&report.to_string())
        }),
        Command::Cache { command } => match command {
            CacheCommand::Warm => with_db(config, |config, db| async move {
                let cache = open_command_cache(&config).await?;
                warm(&config, db, cache).await
            }),
            CacheCommand::Audit { max_bytes } => {
                with_cache(config, |config, cache| audit(config, cache, max_bytes))
            }
            CacheCommand::Stats => with_cache(config, stats),
            CacheCommand::Flags(args) => {
                with_cache(config, |config, cache| flags(config, cache, args))
            }
            CacheCommand::Invalidate { namespace } => {
                with_cache(config, |config, cache| invalidate(config, cache, namespace))
            }
        },
    }
}

/// Loads the configuration and starts logging with it. Only `serve` and `migrate` report the
/// migrations they apply; for the other commands those lines are noise before their output.
fn load(command: &Command) -> Result<Config, CommandError> {
    let loaded = Config::load()?;
    let migration_logs = matches!(command, Command::Serve(_) | Command::Migrate);
    telemetry::init(loaded.config.log_format, migration_logs);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    Ok(loaded.config)
}

fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CommandError::Runtime)
}

fn with_cache<F, Fut>(config: Config, command: F) -> Result<(), CommandError>
where
    F: FnOnce(Config, Cache) -> Fut,
    Fut: Future<Output = Result<(), CommandError>>,
{
    runtime()?.block_on(async {
        let cache = open_command_cache(&config).await?;
        command(config, cache).await
    })
}

/// Runs a database command on a migrated schema (migrating first on the embedded default,
/// as `serve` does there).
fn with_db<F, Fut>(config: Config, command: F) -> Result<(), CommandError>
where
    F: FnOnce(Config, sea_orm::DatabaseConnection) -> Fut,
    Fut: Future<Output = Result<(), CommandError>>,
{
    runtime()?.block_on(async {
        if strata_db::Backend::of_url(&config.database_url)? == strata_db::Backend::Sqlite {
            migrate::migrate_alone(&config.database_url).await?;
        }
        let db = open_db(&config).await?;
        command(config, db).await
    })
}

/// The flags given, and a prompt on the terminal for each one missing (as `manage.py
/// createsuperuser` does).
fn superuser_fields(args: CreateSuperuserArgs) -> Result<(String, String, String), CommandError> {
    let ask = |given: Option<String>, label: &str| -> Result<String, CommandError> {
        if let Some(value) = given {
            return Ok(value);
        }
        eprint!("{label}: ");
        std::io::stderr().flush()?;
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line)? == 0 {
            return Err(CommandError::Usage(format!(
                "no {label} given: pass --{} or answer the prompt",
                label.to_lowercase()
            )));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    let username = ask(args.username, "Username")?;
    let email = ask(args.email, "Email")?;
    let password = ask(args.password, "Password")?;
    Ok((username, email, password))
}

/// Commands that change the cache must reach the store the servers share.
fn require_shared_store(config: &Config, what: &str) -> Result<(), CommandError> {
    if config.redis_url.is_some() {
        return Ok(());
    }
    Err(CommandError::Usage(format!(
        "REDIS_URL is not set, so there is no shared cache to {what}: the in-process store lives \
         inside each `strata serve` and this command cannot reach it. Set REDIS_URL to the \
         servers' Redis (restarting a server empties its in-process cache)"
    )))
}

async fn stats(config: Config, cache: Cache) -> Result<(), CommandError> {
    let mut health = cache.health();
    if config.redis_url.is_none() {
        eprintln!("note: REDIS_URL is not set; this is a fresh in-process store, not a server's");
    } else {
        // health() reports this process's view of the flags, which may not be read yet.
        match cache.disabled_namespaces().await {
            Ok(disabled) => health.disabled_namespaces = disabled.into_iter().collect(),
            Err(error) => tracing::warn!("cannot read the namespace flags: {error}"),
        }
    }
    let text = serde_json::to_string_pretty(&health).map_err(std::io::Error::other)?;
    print_line(&text)
}

/// `strata cache warm`: fills the store the configuration names (a server's Redis; on the
/// embedded default a fresh in-process store, which is gone when this process exits).
async fn warm(
    config: &Config,
    db: sea_orm::DatabaseConnection,
    cache: Cache,
) -> Result<(), CommandError> {
    if config.redis_url.is_none() {
        eprintln!(
            "note: REDIS_URL is not set; this warms a fresh in-process store, not a server's \
             (use the admin dashboard's warm button for an embedded server)"
        );
    }
    // Reads only: its sink never receives a change.
    let changes = command_changes(config, &db, &cache).map_err(ServeError::from)?;
    let ctx = strata_api::Ctx::new(
        db,
        cache,
        crate::state::media_storage(config).map_err(ServeError::from)?,
        crate::state::api_settings(config),
        crate::apps::catalog(),
        std::sync::Arc::new(changes),
    );
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("warming {bar:30} {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = crate::warm::Progress::default();
    let summary = crate::warm::warm(&ctx, &progress, |p| {
        bar.set_length(p.total() as u64);
        bar.set_position(p.done() as u64);
    })
    .await?;
    bar.finish_and_clear();
    print_line(&format!(
        "warmed {} of {} keys and lists ({} failed)",
        summary.total - summary.failed,
        summary.total,
        summary.failed
    ))
}

async fn flags(config: Config, cache: Cache, args: FlagsArgs) -> Result<(), CommandError> {
    let change = match (args.off, args.on) {
        (Some(ns), _) => Some((ns, false)),
        (None, Some(ns)) => Some((ns, true)),
        (None, None) => None,
    };
    if let Some((ns, enabled)) = change {
        require_shared_store(&config, "switch")?;
        cache.set_enabled(&ns, enabled).await?;
        let state = if enabled { "on" } else { "off" };
        return print_line(&format!(
            "caching of {ns} is now {state} (every instance within {} ms)",
            config.cache.flag_refresh_ms
        ));
    }
    if config.redis_url.is_none() {
        eprintln!("note: REDIS_URL is not set; flags live in each server's in-process store");
        return Ok(());
    }
    let disabled = cache.disabled_namespaces().await?;
    if disabled.is_empty() {
        eprintln!("caching is on for every namespace");
    }
    // One namespace per line on stdout, so scripts can read it.
    for ns in disabled {
        print_line(&ns)?;
    }
    Ok(())
}

async fn invalidate(config: Config, cache: Cache, ns: Namespace) -> Result<(), CommandError> {
    require_shared_store(&config, "invalidate")?;
    // The engine queues a failed invalidation for replay, but this process is about to exit and
    // would take the queue with it: a queued invalidation here is a failed one.
    match cache.invalidate_namespace(&ns).await {
        Invalidation::Applied => print_line(&format!("invalidated {ns}")),
        Invalidation::Queued => Err(CommandError::NotInvalidated(ns)),
    }
}

async fn audit(config: Config, cache: Cache, max_bytes: u64) -> Result<(), CommandError> {
    if config.redis_url.is_none() {
        eprintln!(
            "note: REDIS_URL is not set; this audits a fresh in-process store, not a server's"
        );
    }
    let report = cache.audit(max_bytes, u64::MAX).await?;
    let text = serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?;
    print_line(&text)
}

/// The id of the user named `name`; no such user is a usage error (exit 2).
async fn user_id(db: &sea_orm::DatabaseConnection, name: &str) -> Result<i64, CommandError> {
    strata_users::services::accounts::by_username(db, name)
        .await
        .map_err(strata_users::AccountError::Db)?
        .map(|user| user.id)
        .ok_or_else(|| strata_users::AccountError::NoSuchUser(name.to_owned()).into())
}

fn print_line(text: &str) -> Result<(), CommandError> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")?;
    stdout.flush()?;
    Ok(())
}
