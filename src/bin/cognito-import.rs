//! Operator command line. Placeholder until the import function lands: `local` will run the whole
//! drop → import flow on the embedded emulator.

fn main() {
    eprintln!(
        "cognito-import: the import function is not built yet, so `local` has nothing to run.\n\
         Meanwhile the local stand-in runs on its own: cargo run -p cognito-import-emulator -- --bind 127.0.0.1:4566"
    );
}
