//! The `qianxian` binary: parses the command line and hands over to the library. A failure
//! prints `错误：` and its causes on standard error and exits with 1.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = qianxian::cli::Cli::parse();
    match qianxian::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e}");
            for cause in e.chain().skip(1) {
                eprintln!("  原因：{cause}");
            }
            ExitCode::FAILURE
        }
    }
}
