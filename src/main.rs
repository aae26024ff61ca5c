//! The `harden` binary: parse the command line, run, and map the outcome to an exit code.

fn main() -> std::process::ExitCode {
    harden::cli::main(std::env::args_os())
}
