#![recursion_limit = "512"]
//! The `switchboard` command: serve, migrate, create an owner, seed the demo workspace, make a
//! password reset link.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use server::config::Config;

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Switchboard: the live operator console")]
struct Cli {
    /// A TOML configuration file (see switchboard.example.toml); environment variables override it.
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a workspace and its owner.
    CreateOwner {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The owner's password (at least 10 characters).
        #[arg(long, env = "SWITCHBOARD_OWNER_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Create the demo workspace (does nothing if it exists) and print its sign-ins.
    SeedDemo {
        /// Make a named copy instead, beside the demo and other copies: its sign-ins are
        /// `owner@<NAME>.switchboard.test` and so on, its chat `/chat/<NAME>-web` (the
        /// end-to-end tests make one per spec).
        #[arg(long)]
        copy: Option<String>,
    },
    /// Back up the database, the signing key and the files into a new folder, while
    /// Switchboard serves.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into this configuration's data directory, which must hold no database.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Print a link that sets a new password for a member (works once, for an hour; every
    /// session of theirs ends when it is used): for a locked-out owner, or where Switchboard
    /// sends no e-mail.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("switchboard: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::new(&config.log);
    if config.log_json {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }

    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("switchboard: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), String> {
    match command {
        Command::Serve => {
            let app = server::Application::build(config.clone())
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(addr = %app.addr(), public_url = %config.public_url, "Switchboard is listening");
            println!("Switchboard is running at http://{}", app.addr());
            app.run_until(server::shutdown_signal())
                .await
                .map_err(|e| e.to_string())
        }
        Command::Backup { to } => {
            let m = server::backup::backup(&config, &to).await?;
            println!(
                "Backed up {} workspace(s), {} conversations, {} messages and {} files into {}.",
                m.workspaces,
                m.conversations,
                m.messages,
                m.files,
                to.display()
            );
            if !m.has_key {
                println!("The configuration sets secret_key: keep it with the backup.");
            }
            Ok(())
        }
        Command::Restore { from } => {
            let m = server::backup::restore(&config, &from).await?;
            println!(
                "Restored {} conversations, {} messages and {} files into {}.",
                m.conversations,
                m.messages,
                m.files,
                config.data_dir.display()
            );
            Ok(())
        }
        Command::Migrate => {
            let store = server::open_store(&config).await.map_err(|e| e.to_string())?;
            store.close().await;
            println!("The database is up to date.");
            Ok(())
        }
        Command::CreateOwner {
            workspace,
            email,
            name,
            password,
        } => {
            let store = server::open_store(&config).await.map_err(|e| e.to_string())?;
            server::demo::create_owner(&store, &workspace, &email, &name, &password)
                .await
                .map_err(|e| e.to_string())?;
            store.close().await;
            println!("Created the workspace {workspace:?} with its owner {email}.");
            Ok(())
        }
        Command::ResetPassword { email } => {
            let store = server::open_store(&config).await.map_err(|e| e.to_string())?;
            let link = server::accounts::reset_link(&store, &config.public_url, &email).await;
            store.close().await;
            match link.map_err(|e| e.to_string())? {
                Some(link) => {
                    println!(
                        "Open this link to choose a new password for {} <{}> (it works once, for {} minutes):",
                        link.name,
                        link.email,
                        server::accounts::RESET_MINUTES
                    );
                    println!("{}", link.url);
                    Ok(())
                }
                None => Err(format!("no active member signs in with {email}")),
            }
        }
        Command::SeedDemo { copy } => {
            let names = match copy {
                Some(name) => server::demo::DemoNames::copy(&name).map_err(|e| e.to_string())?,
                None => server::demo::DemoNames::default(),
            };
            let store = server::open_store(&config).await.map_err(|e| e.to_string())?;
            let seeded = server::demo::seed_demo_copy(&store, &names)
                .await
                .map_err(|e| e.to_string());
            store.close().await;
            match seeded? {
                server::demo::Seeded::Created { .. } => {
                    println!("Created the demo workspace \"Acme Support\".")
                }
                server::demo::Seeded::AlreadyThere => {
                    println!("The demo workspace is already there.")
                }
            }
            println!("Sign in with any of these (password: {}):", server::demo::DEMO_PASSWORD);
            for (email, name, role) in server::demo::DEMO_MEMBERS {
                println!("  {:<40} {name} ({})", names.email(email), role.label());
            }
            println!("Its chat: /chat/{}", names.channel());
            Ok(())
        }
    }
}
