fn main() -> std::process::ExitCode {
    mailtrail::cli::main()
}
