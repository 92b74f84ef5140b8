use std::process::ExitCode;

fn main() -> ExitCode {
    tianzhang_server::cli::main()
}
