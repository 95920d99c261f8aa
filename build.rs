//! Records the git commit the binary is built from (`RUMEDBENCH_GIT_COMMIT`, read by the run
//! record); outside a git checkout, or without git, nothing is set and records omit it.

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output();
    if let Ok(o) = out {
        let commit = String::from_utf8_lossy(&o.stdout).trim().to_string();
        if o.status.success() && !commit.is_empty() {
            println!("cargo:rustc-env=RUMEDBENCH_GIT_COMMIT={commit}");
        }
    }
}
