//! The `qianxian` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = qianxian::cli::Cli::parse();
    qianxian::cli::run(cli)
}
