//! The `rumedbench` binary: parse, run, print the error chain once, map it to an exit code.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match rumedbench::cli::Cli::parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            if let Some(flag) = rumedbench::cli::near_miss(&e) {
                eprintln!("\ntip: did you mean '{flag}'? (flags are case-sensitive)");
            }
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    // Ctrl-C, SIGTERM, SIGHUP: remove this run's temporary files (after a set being
    // committed is whole) and exit, leaving the earlier outputs as they were.
    let _ = ctrlc::set_handler(|| rumedbench::commands::output_set::clean_up_and_exit(130));
    // The library's own temporary files (CRFsuite's model while it trains) go to a scratch
    // folder that a signal removes too.
    let _scratch = rumedbench::commands::output_set::ScratchDir::enter();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    match rumedbench::cli::run(cli, &mut out, &mut err) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = out.flush();
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            let broken_pipe = err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .map(|e| e.kind())
                    .or_else(|| {
                        c.downcast_ref::<rumedbench::Error>()
                            .and_then(|e| e.io_kind())
                    })
                    == Some(std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            let chain: Vec<String> = err.chain().map(|c| c.to_string()).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}
