//! The `ivd-tools` command. See `ivd-tools --help`.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = ivd_tools::cli::Cli::parse();
    match ivd_tools::cli::run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::exit(2);
        }
    }
}
