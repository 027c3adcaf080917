//! The migrations are compiled into the binary (`sqlx::migrate!`); a change to one of them must
//! rebuild it, which cargo does not know on its own.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
