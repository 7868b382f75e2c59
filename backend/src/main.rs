//! The `handoff` binary: parse the command line, set up logging, run the command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use handoff_backend::config::Config;
use handoff_backend::services::directory;
use tracing_subscriber::EnvFilter;

/// mimalloc returns freed large blocks to the system. With glibc's allocator each argon2 hash
/// (19 MiB) stayed resident after it finished: 128 concurrent sign-ins left 800 MiB behind even
/// with hashing bounded to four at a time (see `auth::password`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "handoff",
    version,
    about = "Self-hosted workflow automation: intake, routing, approvals, audit"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the API (and, later, the web app and workers).
    Serve(Config),
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Administration from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every event hash chain, compare each with its stored head and print the head
    /// digest. Opens the database read-only. Exit code 0 when clean, 1 on breaks (or a
    /// checkpoint the trail does not extend), 2 when it cannot verify (no such database, not
    /// migrated, no key for a checkpoint).
    Verify {
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite://handoff.db")]
        database_url: String,
        /// Also check that the trail still extends this checkpoint (a file, or the JSON
        /// itself), signed with HANDOFF_AUDIT_KEY.
        #[arg(long)]
        checkpoint: Option<String>,
    },
    /// Verify, then print the stream heads signed with HANDOFF_AUDIT_KEY (HMAC-SHA256) as one
    /// line of JSON, to keep outside the database. Exit code 1 (nothing signed) on breaks.
    Checkpoint {
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite://handoff.db")]
        database_url: String,
    },
}

/// The checkpoint key, read from the environment only: a flag would show in process lists.
fn audit_key() -> Option<String> {
    std::env::var("HANDOFF_AUDIT_KEY").ok()
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user (for example the first admin).
    CreateUser {
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite://handoff.db")]
        database_url: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read from HANDOFF_NEW_PASSWORD when not given.
        #[arg(long, env = "HANDOFF_NEW_PASSWORD", hide_env_values = true)]
        password: String,
        /// Role keys (repeatable).
        #[arg(long = "role", default_values_t = vec!["admin".to_string()])]
        roles: Vec<String>,
    },
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let json = std::env::var("HANDOFF_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Schema => {
            print!("{}", handoff_backend::graphql::sdl());
        }
        Command::Serve(config) => {
            init_tracing();
            tracing::info!(?config, "starting");
            let app = handoff_backend::startup::build(&config).await?;
            tracing::info!(addr = %app.addr, "listening: GraphQL at http://{}/graphql", app.addr);
            app.run_until_stopped().await?;
        }
        Command::Audit {
            command:
                AuditCommand::Verify {
                    database_url,
                    checkpoint,
                },
        } => {
            return Ok(handoff_backend::cli::verify(
                &database_url,
                checkpoint.as_deref(),
                audit_key(),
            )
            .await);
        }
        Command::Audit {
            command: AuditCommand::Checkpoint { database_url },
        } => {
            return Ok(handoff_backend::cli::checkpoint(&database_url, audit_key()).await);
        }
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    database_url,
                    email,
                    name,
                    password,
                    roles,
                },
        } => {
            init_tracing();
            let mut config = Config::for_tests(database_url);
            config.jwt_secret = None;
            let db = handoff_backend::db::connect(&config.database_url).await?;
            directory::ensure_builtin_roles(&db)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let state = handoff_backend::state::AppState::new(
                db,
                handoff_backend::auth::JwtKeys::new(
                    b"unused-for-the-cli-unused-for-the-cli",
                    chrono::Duration::minutes(1),
                ),
                Vec::new(),
            )?;
            let user = directory::create_user(
                &state,
                None,
                directory::NewUser {
                    email,
                    name,
                    password: Some(password),
                    roles,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            println!("created {} ({})", user.email, user.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}
