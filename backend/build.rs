//! The web app is embedded from `../dist` (written by `cargo xtask build-web`). The folder is
//! created empty when missing so the server also builds before the web app does (it then
//! serves a page saying how to build it), and any change in it rebuilds the binary.

fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    if !dist.exists() {
        let _ = std::fs::create_dir_all(&dist);
    }
    println!("cargo:rerun-if-changed=../dist");
}
