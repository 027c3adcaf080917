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
    /// Make the account with this e-mail an instance administrator, who changes every
    /// workspace's plan on the Plans page (or no longer one, with --revoke).
    InstanceAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Show a workspace's plan, or change it: seats and feature flags. A running Switchboard
    /// follows the change within seconds.
    Plan {
        /// The workspace's id or exact name.
        #[arg(long)]
        workspace: String,
        /// The plan's name ("Team", "Enterprise", …).
        #[arg(long)]
        name: Option<String>,
        /// Human agent seats: how many operators may be live at once.
        #[arg(long)]
        seats: Option<i64>,
        /// Operators may go live and take conversations over.
        #[arg(long, value_parser = on_off)]
        operators: Option<bool>,
        /// Live presence and routing (needs operators).
        #[arg(long, value_parser = on_off)]
        presence: Option<bool>,
        /// Account managers may handle conversations as agents do.
        #[arg(long, value_parser = on_off)]
        managers_handle_chats: Option<bool>,
    },
    /// Print a link that sets a new password for a member (works once, for an hour; every
    /// session of theirs ends when it is used): for a locked-out owner, or where Switchboard
    /// sends no e-mail.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("switchboard: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    // Before any other thread exists: the allocator fixes its arenas' limit when it first
    // needs a new one.
    server::heap::limit_arenas(config.malloc_arenas);
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(start(cli, config)),
        Err(e) => {
            eprintln!("switchboard: could not start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn start(cli: Cli, config: Config) -> ExitCode {
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
            if let Some(at) = app.metrics_addr() {
                println!("Metrics are served at http://{at}/metrics");
            }
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
        Command::InstanceAdmin { email, revoke } => {
            let store = server::open_store(&config).await.map_err(|e| e.to_string())?;
            let done = store.set_instance_admin(&email, !revoke).await;
            store.close().await;
            match done.map_err(|e| e.to_string())? {
                Some((name, workspace)) if revoke => {
                    println!("{name} <{email}> ({workspace}) is no longer an instance administrator.")
                }
                Some((name, workspace)) => {
                    println!("{name} <{email}> ({workspace}) is an instance administrator: Plans is in their menu.")
                }
                None => return Err(format!("no account signs in with {email}")),
            }
            Ok(())
        }
        Command::Plan {
            workspace,
            name,
            seats,
            operators,
            presence,
            managers_handle_chats,
        } => {
            let store = server::open_store(&config).await.map_err(|e| e.to_string())?;
            let result = change_plan(&store, &workspace, |plan| {
                let before = plan.clone();
                if let Some(n) = name {
                    plan.name = n;
                }
                if let Some(n) = seats {
                    plan.human_agents = n;
                }
                if let Some(on) = operators {
                    plan.operator_enabled = on;
                }
                if let Some(on) = presence {
                    plan.presence_enabled = on;
                }
                if let Some(on) = managers_handle_chats {
                    plan.managers_handle_chats = on;
                }
                *plan != before
            })
            .await;
            store.close().await;
            let (workspace, plan, changed) = result?;
            let on_off = |b: bool| if b { "on" } else { "off" };
            println!(
                "{workspace}: plan {:?}, {} human agent seats, operators {}, live presence {}, account managers handle chats {}{}",
                plan.name,
                plan.human_agents,
                on_off(plan.operator_enabled),
                on_off(plan.presence_enabled),
                on_off(plan.managers_handle_chats),
                if changed { " (changed)" } else { "" }
            );
            Ok(())
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

/// `on`/`off` (or yes/no, true/false) for a feature flag.
fn on_off(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err(format!("{value:?} is not on or off")),
    }
}

/// Reads a workspace's plan, lets `edit` change it (true when it did), and keeps it.
async fn change_plan(
    store: &server::store::Store,
    workspace: &str,
    edit: impl FnOnce(&mut app::settings::Plan) -> bool,
) -> Result<(String, app::settings::Plan, bool), String> {
    let ids = store.find_workspaces(workspace).await.map_err(|e| e.to_string())?;
    let id = match ids.as_slice() {
        [id] => *id,
        [] => return Err(format!("no workspace has the id or name {workspace:?}")),
        _ => {
            return Err(format!(
                "{} workspaces are called {workspace:?}; give its id",
                ids.len()
            ))
        }
    };
    let current = store.workspace_plan(id).await.map_err(|e| e.to_string())?;
    let mut plan = current.plan.clone();
    if !edit(&mut plan) {
        return Ok((current.workspace_name, plan, false));
    }
    plan.validate().map_err(|e| e.to_string())?;
    let after = store
        .set_plan(id, &plan, "the command line", None)
        .await
        .map_err(|e| e.to_string())?;
    Ok((after.workspace_name, after.plan, true))
}
