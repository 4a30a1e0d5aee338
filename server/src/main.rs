//! The `openfatture` command-line tool.

fn main() -> std::process::ExitCode {
    openfatture::cli::main()
}
