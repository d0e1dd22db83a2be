//! The workspace's module layout, held: no module cycle in any crate, and the function crate's
//! layers call only down — domain (pure) ← adapters (I/O) ← app ← flows ← handler.

use std::path::{Path, PathBuf};

use cognito_import_testkit::layout::ModuleGraph;

fn src(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(krate).join("src")
}

fn assert_acyclic(krate: &str) -> ModuleGraph {
    let graph = ModuleGraph::of_crate(&src(krate));
    assert!(
        graph.edges.len() > 1,
        "{krate}: too few modules found: {:?}",
        graph.edges
    );
    let cycles = graph.cycles();
    assert!(cycles.is_empty(), "{krate} has module cycles: {cycles:?}");
    graph
}

#[test]
fn no_crate_has_a_module_cycle() {
    for krate in ["cognito-import", "emulator", "testkit", "cli"] {
        assert_acyclic(krate);
    }
}

#[test]
fn the_function_crates_layers_call_only_down() {
    let graph = assert_acyclic("cognito-import");
    let pure = ["domain", "check"];
    for lower in pure {
        for upper in ["adapters", "app", "flow", "handler", "logging"] {
            assert_eq!(graph.edges_between(lower, upper), [], "{lower} must not call {upper}");
        }
    }
    for upper in ["app", "flow", "handler"] {
        assert_eq!(
            graph.edges_between("adapters", upper),
            [],
            "adapters must not call {upper}"
        );
    }
    assert_eq!(graph.edges_between("app", "flow"), []);
    assert_eq!(graph.edges_between("flow", "handler"), []);
    // And the layers are there: the flows use the adapters, the adapters the domain.
    assert!(!graph.edges_between("flow", "adapters").is_empty());
    assert!(!graph.edges_between("adapters", "domain").is_empty());
}

#[test]
fn the_graph_sees_a_cycle_where_there_is_one() {
    let dir = tempfile_dir();
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(src.join("a/mod.rs"), "pub mod inner;\npub use inner::Thing;\n").unwrap();
    std::fs::write(src.join("a/inner.rs"), "pub struct Thing(crate::b::Other);\n").unwrap();
    std::fs::write(src.join("b.rs"), "pub struct Other;\npub fn f(_: crate::a::Thing) {}\n").unwrap();
    let graph = ModuleGraph::of_crate(&src);
    let mut cycles = graph.cycles();
    cycles.iter_mut().for_each(|c| c.sort());
    assert_eq!(cycles, [["a::inner", "b"]], "{:?}", graph.edges);
    std::fs::remove_dir_all(dir).unwrap();
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("layout-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
