//! The `ivd-gateway` command. See `ivd-gateway --help`.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = ivd_gateway::cli::Cli::parse();
    match ivd_gateway::cli::run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("error: {}", ivd_gateway::cli::error_text(&error));
            std::process::exit(2);
        }
    }
}
