//! The `handoff` binary: parse the command line, set up logging, run the command.

use clap::{Parser, Subcommand};
use handoff_backend::config::Config;
use handoff_backend::services::{audit, directory};
use tracing_subscriber::EnvFilter;

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
    /// Recompute every event hash chain and report breaks (exit code 1 when any).
    Verify {
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite://handoff.db")]
        database_url: String,
    },
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
async fn main() -> anyhow::Result<()> {
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
            command: AuditCommand::Verify { database_url },
        } => {
            let db = handoff_backend::db::connect(&database_url).await?;
            let report = audit::verify(&db, |n| eprint!("\rchecked {n} events"))
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            eprintln!();
            println!(
                "{} streams, {} events, {} breaks",
                report.streams,
                report.events,
                report.breaks.len()
            );
            for b in &report.breaks {
                println!(
                    "BROKEN {} #{} ({}): {}",
                    b.stream,
                    b.seq,
                    b.event_id.as_deref().unwrap_or("no event"),
                    b.reason
                );
            }
            if !report.breaks.is_empty() {
                std::process::exit(1);
            }
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
    Ok(())
}
