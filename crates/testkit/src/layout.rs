//! The module graph of a crate, read from its source with `syn`: one node per module file, an edge
//! wherever a module names another (`crate::a::b`, `super::x`, `self::x`, a child module). An item a
//! module re-exports (`pub use child::Item`) counts as the child's, so a facade `mod.rs` does not
//! hide or invent a cycle. Tests hold every crate of the workspace to "no module cycle" and the
//! function crate to its layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use petgraph::algo::tarjan_scc;
use petgraph::graphmap::DiGraphMap;
use syn::visit::Visit;

/// A module's path within its crate, e.g. `flow::import` (the crate root is the empty string).
pub type Module = String;

/// Modules and the modules each one names.
#[derive(Debug, Default)]
pub struct ModuleGraph {
    pub edges: BTreeMap<Module, BTreeSet<Module>>,
}

fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).expect("a file under src");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts.join("::")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "bin") {
                files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every path a file names, as segments, resolved against `module` (`crate::`, `super::`,
/// `self::` and bare first segments are kept; the caller decides what is a module).
#[derive(Default)]
struct Paths {
    found: Vec<Vec<String>>,
    reexports: Vec<(String, Vec<String>)>,
}

fn flatten_use(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut full = prefix.clone();
            full.push(n.ident.to_string());
            out.push((full, Some(n.ident.to_string())));
        }
        syn::UseTree::Rename(r) => {
            let mut full = prefix.clone();
            full.push(r.ident.to_string());
            out.push((full, Some(r.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix.clone(), None)),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| flatten_use(t, prefix, out)),
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut flat = Vec::new();
        flatten_use(&item.tree, &mut Vec::new(), &mut flat);
        let public = !matches!(item.vis, syn::Visibility::Inherited);
        for (path, name) in flat {
            if public && let Some(name) = name {
                self.reexports.push((name, path.clone()));
            }
            self.found.push(path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.found
            .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }

    fn visit_item(&mut self, item: &'ast syn::Item) {
        // Code only for tests (`#[cfg(test)] mod tests`, test helpers) may reach anywhere below or
        // beside, and `#[cfg(doc)]` imports exist only for doc links: neither is a dependency.
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Const(i) => &i.attrs,
            _ => &[],
        };
        let test_or_doc = attrs
            .iter()
            .any(|a| a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test" || i == "doc"));
        if !test_or_doc {
            syn::visit::visit_item(self, item);
        }
    }
}

/// Resolves `segments` named in `module` to the module that defines what they name, if any.
fn resolve(
    module: &str,
    segments: &[String],
    modules: &BTreeSet<Module>,
    reexports: &BTreeMap<Module, BTreeMap<String, Module>>,
) -> Option<Module> {
    let mut base: Vec<String> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").map(str::to_owned).collect()
    };
    let mut rest = segments;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        _ => {}
    }
    let mut current = base.join("::");
    let mut found = None;
    for segment in rest {
        let next = if current.is_empty() {
            segment.clone()
        } else {
            format!("{current}::{segment}")
        };
        if modules.contains(&next) {
            current = next;
            found = Some(current.clone());
        } else if let Some(target) = reexports.get(&current).and_then(|r| r.get(segment)) {
            found = Some(target.clone());
            break;
        } else {
            break;
        }
    }
    found
}

impl ModuleGraph {
    /// The graph of the crate whose sources are in `src` (binaries under `src/bin` left out).
    pub fn of_crate(src: &Path) -> ModuleGraph {
        let mut all = Vec::new();
        files(src, &mut all);
        let mut parsed = BTreeMap::new();
        for file in &all {
            let text = std::fs::read_to_string(file).expect("a source file reads");
            let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let mut paths = Paths::default();
            paths.visit_file(&ast);
            parsed.insert(module_of(src, file), paths);
        }
        let modules: BTreeSet<Module> = parsed.keys().cloned().collect();
        // A re-export maps a name to the module it comes from (resolved without re-exports).
        let mut reexports: BTreeMap<Module, BTreeMap<String, Module>> = BTreeMap::new();
        for (module, paths) in &parsed {
            for (name, path) in &paths.reexports {
                if let Some(target) = resolve(module, path, &modules, &BTreeMap::new())
                    && target != *module
                {
                    reexports
                        .entry(module.clone())
                        .or_default()
                        .insert(name.clone(), target);
                }
            }
        }
        let mut graph = ModuleGraph::default();
        for (module, paths) in &parsed {
            let edges = graph.edges.entry(module.clone()).or_default();
            for path in &paths.found {
                if let Some(target) = resolve(module, path, &modules, &reexports)
                    && target != *module
                    && !target.is_empty()
                {
                    edges.insert(target);
                }
            }
        }
        graph
    }

    /// The module cycles: each a set of modules that reach one another (in no set order).
    pub fn cycles(&self) -> Vec<Vec<Module>> {
        let mut g = DiGraphMap::<&str, ()>::new();
        for (from, tos) in &self.edges {
            g.add_node(from);
            for to in tos {
                g.add_edge(from, to, ());
            }
        }
        tarjan_scc(&g)
            .into_iter()
            .filter(|scc| scc.len() > 1)
            .map(|scc| scc.into_iter().map(str::to_owned).collect())
            .collect()
    }

    /// Edges from a module under `from` to one under `to` (prefixes: `domain`, `adapters`, …).
    pub fn edges_between(&self, from: &str, to: &str) -> Vec<(Module, Module)> {
        let under = |m: &str, p: &str| m == p || m.starts_with(&format!("{p}::"));
        self.edges
            .iter()
            .filter(|(m, _)| under(m, from))
            .flat_map(|(m, tos)| tos.iter().filter(|t| under(t, to)).map(|t| (m.clone(), t.clone())))
            .collect()
    }
}
