//! The layers of ARCHITECTURE.md, checked on the source: every `crate::X` path in product code
//! (test modules left out) must point to a lower layer, so imports between top-level modules
//! point one way and can form no cycle; the pure core names no I/O; only `terraform/` starts
//! terraform.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on what they did not expect

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module and its layer: a module may use only modules of a lower layer. Keep
/// this table and ARCHITECTURE.md's "Layers" the same.
const LAYERS: &[(&str, u8)] = &[
    ("words", 0),
    ("site", 1),
    ("project", 2),
    ("aws", 3),
    ("dns", 3),
    ("durations", 3),
    ("tfgen", 4),
    ("clipboard", 4),
    ("cli", 4),
    ("terraform", 5),
    ("logging", 5),
    ("failure", 6),
    ("wizard", 7),
    ("sandbox", 7),
    ("preflight", 7),
    ("effects", 8),
    ("perf_report", 8),
    ("runtime", 9),
    ("ui", 10),
    ("commands", 11),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read src").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a file belongs to (`src/aws/sdk.rs` -> `aws`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).expect("under src");
    let first = rel
        .components()
        .next()
        .expect("a component")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// The product code of a file: up to its first `#[cfg(test)]`, comment lines left out.
fn product_code(file: &Path) -> String {
    let text = std::fs::read_to_string(file).expect("read a source file");
    let body = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names through `crate::`.
fn uses(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        out.push(name);
    }
    out
}

#[test]
fn every_top_level_module_has_a_layer() {
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    for file in rust_files(&src()) {
        let m = module_of(&file);
        if m == "lib" || m == "main" || m == "fuzz" {
            continue;
        }
        assert!(
            layers.contains_key(m.as_str()),
            "src/{m} has no layer in tests/architecture.rs (and ARCHITECTURE.md): add it"
        );
    }
}

#[test]
fn imports_point_down_the_layers_only() {
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for file in rust_files(&src()) {
        let from = module_of(&file);
        let Some(&from_layer) = layers.get(from.as_str()) else {
            continue;
        };
        for to in uses(&product_code(&file)) {
            if to == from {
                continue;
            }
            if let Some(&to_layer) = layers.get(to.as_str())
                && to_layer >= from_layer
            {
                wrong.push(format!(
                    "{} (layer {from_layer}) uses crate::{to} (layer {to_layer})",
                    file.strip_prefix(src()).unwrap_or(&file).display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that point up or sideways:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_core_is_pure() {
    let forbidden = [
        "tokio::",
        "std::fs",
        "std::process",
        "std::net",
        "aws_sdk",
        "aws_config",
        "ratatui",
        "crossterm",
        "SystemTime::now",
        "OffsetDateTime::now",
        "Instant::now",
    ];
    for file in rust_files(&src().join("wizard")) {
        let code = product_code(&file);
        for f in forbidden {
            assert!(
                !code.contains(f),
                "{} names {f}: the core takes time and the world as events",
                file.display()
            );
        }
    }
}

#[test]
fn only_the_terraform_module_starts_terraform() {
    for file in rust_files(&src()) {
        if module_of(&file) == "terraform" {
            continue;
        }
        let code = product_code(&file);
        assert!(
            !code.contains("Command::new(\"terraform\")") && !code.contains("Command::new(program"),
            "{} starts a program that may be terraform; terraform runs only through src/terraform/",
            file.display()
        );
    }
}

/// Nothing but the sandbox player plays a human: the production handlers, the runtime, the core
/// and the front ends never reach the sandbox (the emulator, the registrar); only
/// `effects/sandbox.rs` does, and `effects/mod.rs` wires it into sandbox sessions.
#[test]
fn only_the_sandbox_player_reaches_the_sandbox() {
    let allowed = [
        src().join("effects/sandbox.rs"),
        src().join("effects/mod.rs"),
    ];
    for file in rust_files(&src()) {
        let module = module_of(&file);
        if !matches!(module.as_str(), "effects" | "runtime" | "wizard" | "ui")
            || allowed.contains(&file)
        {
            continue;
        }
        let code = product_code(&file);
        for forbidden in ["crate::sandbox", "Emulator", "registrar::"] {
            assert!(
                !code.contains(forbidden),
                "{} names {forbidden}: only the sandbox player (src/effects/sandbox.rs) plays the humans and AWS of the rehearsal",
                file.display()
            );
        }
    }
}
