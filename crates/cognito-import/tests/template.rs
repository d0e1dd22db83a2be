//! `template.yaml` (the AWS SAM stack) tied to the code: what only Rust can check.
//!
//! The template's policy rules (the function's permissions, the Cognito logs role, the drop
//! bucket, the function's settings, the triggers, the pass's schedule) are declarative cfn-guard
//! rules in `rules/*.guard`, each tested against hand-written fixtures in `rules/tests/`; both run
//! in `scripts/infra-check.sh`. What stays here needs the crate:
//!
//! - the function's environment (with `Globals`) is exactly `cognito_import::domain::config::VARIABLES`;
//! - the function's own configuration (`Config::from_lookup`) accepts that environment as the
//!   template fills it with the parameters' defaults, and with each `AllowedValues`, `MinValue`
//!   and `MaxValue` of the parameters the variables take;
//! - `Metadata.BuildProperties.Binary` names a binary of this crate (`src/bin/<binary>.rs`).
//!
//! Each test checks the real template, then breaks it in each way the check exists to catch and
//! checks that the check notices.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cognito_import::domain::config::{Config, VARIABLES};
use serde_yaml::{Mapping, Value};

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
/// Pseudo parameters replaced by sample values where a `!Sub` is read.
const PSEUDO: [(&str, &str); 4] = [
    ("${AWS::StackName}", "cognito-import"),
    ("${AWS::Partition}", "aws"),
    ("${AWS::Region}", "us-east-1"),
    ("${AWS::AccountId}", "111111111111"),
];
/// Values for parameters that have no default (the stack cannot be deployed without them).
const REQUIRED_SAMPLES: [(&str, &str); 1] = [("UserPoolId", "us-east-1_AbC123xyZ")];
/// What a `!GetAtt <role>.Arn` stands for.
const SAMPLE_ROLE_ARN: &str = "arn:aws:iam::111111111111:role/CognitoImportLogs";

type Problems = Vec<String>;
/// A breach: what it is, a fragment of the problem the check must report for it, and how to make it.
type Mutation = (&'static str, &'static str, fn(&mut Value));

// ------------------------------------------------------------------------------------------------
// Reading the template (short-form intrinsics stay tagged values: `!Ref X` is Tagged("!Ref", X))
// ------------------------------------------------------------------------------------------------

fn load() -> Value {
    let text = std::fs::read_to_string(TEMPLATE).unwrap_or_else(|e| panic!("cannot read {TEMPLATE}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{TEMPLATE} is not valid YAML: {e}"))
}

/// The value at a `/`-separated path of keys.
fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/').try_fold(v, |v, key| v.get(key))
}

fn get_mut<'a>(v: &'a mut Value, path: &str) -> &'a mut Value {
    path.split('/')
        .try_fold(v, |v, key| v.get_mut(key))
        .unwrap_or_else(|| panic!("the template has no {path} (a mutation needs updating)"))
}

/// Sets the value at `path`, adding the last key to its mapping if it is not there.
fn set(t: &mut Value, path: &str, value: Value) {
    let (parent, last) = path.rsplit_once('/').expect("a path with a parent");
    match get_mut(t, parent) {
        Value::Mapping(m) => {
            m.insert(Value::from(last), value);
        }
        other => panic!("{parent} is not a mapping: {other:?}"),
    }
}

fn remove(t: &mut Value, path: &str) {
    let (parent, last) = path.rsplit_once('/').expect("a path with a parent");
    let removed = get_mut(t, parent).as_mapping_mut().and_then(|m| m.remove(last));
    assert!(
        removed.is_some(),
        "the template has no {path} (a mutation needs updating)"
    );
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("a mutation's YAML")
}

fn push(t: &mut Value, path: &str, item: Value) {
    let Value::Sequence(items) = get_mut(t, path) else {
        panic!("{path} is not a list")
    };
    items.push(item);
}

/// The inner value of a short-form intrinsic (`tag` without its `!`: "Ref", "Sub", "GetAtt").
fn intrinsic<'a>(v: &'a Value, tag: &str) -> Option<&'a Value> {
    match v {
        Value::Tagged(tagged) if tagged.tag.to_string().trim_start_matches('!') == tag => Some(&tagged.value),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The template's one function: its logical id and resource.
fn function(t: &Value) -> Result<(String, &Value), String> {
    let functions: Vec<(String, &Value)> = get(t, "Resources")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function"))
        .map(|(id, r)| (text(id).unwrap_or_default(), r))
        .collect();
    match functions.as_slice() {
        [one] => Ok(one.clone()),
        found => Err(format!("expected one AWS::Serverless::Function, found {}", found.len())),
    }
}

/// The function's environment variables, `Globals` first (the function's own override them).
fn environment(t: &Value) -> Result<(String, BTreeMap<String, &Value>), String> {
    let (id, f) = function(t)?;
    let mut variables = BTreeMap::new();
    for source in [
        get(t, "Globals/Function/Environment/Variables"),
        get(f, "Properties/Environment/Variables"),
    ] {
        for (name, value) in source.and_then(Value::as_mapping).into_iter().flatten() {
            variables.insert(text(name).unwrap_or_default(), value);
        }
    }
    Ok((id, variables))
}

/// What the function would read in a variable set to `v`, the parameters at their defaults:
/// literals as they are, `!Ref P` as P's default (or a sample for a required parameter),
/// `!GetAtt <role>.Arn` as a role ARN, a `!Sub` of pseudo parameters filled in.
fn deployed_value(t: &Value, v: &Value) -> Result<String, String> {
    if let Some(s) = text(v) {
        return Ok(s);
    }
    if let Some(name) = intrinsic(v, "Ref").and_then(Value::as_str) {
        if let Some(default) = get(t, &format!("Parameters/{name}/Default")).and_then(text) {
            return Ok(default);
        }
        return match REQUIRED_SAMPLES.iter().find(|(p, _)| *p == name) {
            Some((_, sample)) => Ok((*sample).to_owned()),
            None => Err(format!("!Ref {name}: no parameter default and no sample value")),
        };
    }
    if let Some(target) = intrinsic(v, "GetAtt").and_then(Value::as_str) {
        return match target.strip_suffix(".Arn") {
            Some(_) => Ok(SAMPLE_ROLE_ARN.to_owned()),
            None => Err(format!("!GetAtt {target}: not an ARN")),
        };
    }
    if let Some(sub) = intrinsic(v, "Sub").and_then(Value::as_str) {
        let filled = PSEUDO
            .iter()
            .fold(sub.to_owned(), |s, (name, sample)| s.replace(name, sample));
        return match filled.contains("${") {
            false => Ok(filled),
            true => Err(format!("!Sub {sub}: refers to more than pseudo parameters")),
        };
    }
    Err(format!("cannot tell what {v:?} deploys as"))
}

// ------------------------------------------------------------------------------------------------
// The checks
// ------------------------------------------------------------------------------------------------

/// The function's environment is exactly `config::VARIABLES`.
fn environment_is_exactly_the_variables(t: &Value) -> Problems {
    let (id, variables) = match environment(t) {
        Ok(found) => found,
        Err(e) => return vec![e],
    };
    let names: BTreeSet<&str> = variables.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = VARIABLES.into_iter().collect();
    if names == expected {
        return Vec::new();
    }
    vec![format!(
        "{id}: environment {names:?} is not exactly config::VARIABLES {expected:?} (extra: {:?}, missing: {:?})",
        names.difference(&expected).collect::<Vec<_>>(),
        expected.difference(&names).collect::<Vec<_>>()
    )]
}

/// `Config::from_lookup` accepts the environment with the parameters' defaults, and with each
/// allowed value and limit of the parameters the variables take.
fn configuration_accepts_the_parameters(t: &Value) -> Problems {
    let (id, variables) = match environment(t) {
        Ok(found) => found,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let mut defaults = BTreeMap::new();
    for (name, v) in &variables {
        match deployed_value(t, v) {
            Ok(value) => {
                defaults.insert(name.clone(), value);
            }
            Err(e) => problems.push(format!("{id}: {name}: {e}")),
        }
    }
    if let Err(e) = Config::from_lookup(|name| defaults.get(name).cloned()) {
        problems.push(format!("{id}: the function refuses the template's defaults: {e}"));
    }
    let mut tried = 0;
    for (name, v) in &variables {
        let Some(parameter) = intrinsic(v, "Ref").and_then(Value::as_str) else {
            continue;
        };
        let Some(p) = get(t, &format!("Parameters/{parameter}")) else {
            continue; // a pseudo parameter such as AWS::Region
        };
        let mut values: Vec<String> = p
            .get("AllowedValues")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(text)
            .collect();
        values.extend(["MinValue", "MaxValue"].iter().filter_map(|k| p.get(*k).and_then(text)));
        for value in values {
            tried += 1;
            let mut env = defaults.clone();
            env.insert(name.clone(), value.clone());
            if let Err(e) = Config::from_lookup(|n| env.get(n).cloned()) {
                problems.push(format!(
                    "{id}: parameter {parameter} allows {value}, which the function refuses: {e}"
                ));
            }
        }
    }
    if tried == 0 {
        problems.push(format!(
            "{id}: no parameter with allowed values or limits feeds the environment"
        ));
    }
    problems
}

/// `Metadata.BuildProperties.Binary` names a binary of this crate.
fn binary_is_the_crates(t: &Value) -> Problems {
    let (id, f) = match function(t) {
        Ok(found) => found,
        Err(e) => return vec![e],
    };
    let Some(binary) = get(f, "Metadata/BuildProperties/Binary").and_then(Value::as_str) else {
        return vec![format!(
            "{id}: no Metadata/BuildProperties/Binary: cargo-lambda would build every binary of the workspace"
        )];
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("src/bin/{binary}.rs"));
    if source.is_file() {
        Vec::new()
    } else {
        vec![format!(
            "{id}: the binary {binary} has no source {} in the function's crate",
            source.display()
        )]
    }
}

// ------------------------------------------------------------------------------------------------
// The tests: the real template passes, and each breach is caught
// ------------------------------------------------------------------------------------------------

fn holds(check: fn(&Value) -> Problems, mutations: &[Mutation]) {
    let template = load();
    let problems = check(&template);
    assert!(
        problems.is_empty(),
        "template.yaml breaks the check:\n  - {}",
        problems.join("\n  - ")
    );
    for (what, expected, mutate) in mutations {
        let mut broken = template.clone();
        mutate(&mut broken);
        let problems = check(&broken);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "the check did not report {expected:?} for this breach: {what}; it reported {problems:#?}"
        );
    }
}

const VARIABLES_PATH: &str = "Resources/ImportFunction/Properties/Environment/Variables";

#[test]
fn the_environment_is_exactly_the_variables_the_function_reads() {
    holds(
        environment_is_exactly_the_variables,
        &[
            ("RUST_LOG added", "extra: [\"RUST_LOG\"]", |t| {
                set(t, &format!("{VARIABLES_PATH}/RUST_LOG"), Value::from("debug"));
            }),
            ("RUST_LOG added through Globals", "extra: [\"RUST_LOG\"]", |t| {
                let globals = yaml("{Function: {Environment: {Variables: {RUST_LOG: debug}}}}");
                let mut top = Mapping::new();
                top.insert(Value::from("Globals"), globals);
                t.as_mapping_mut().expect("a mapping").extend(top);
            }),
            ("UPLOAD_ATTEMPTS missing", "missing: [\"UPLOAD_ATTEMPTS\"]", |t| {
                remove(t, &format!("{VARIABLES_PATH}/UPLOAD_ATTEMPTS"));
            }),
            ("METRICS_NAMESPACE missing", "missing: [\"METRICS_NAMESPACE\"]", |t| {
                remove(t, &format!("{VARIABLES_PATH}/METRICS_NAMESPACE"));
            }),
            ("no environment at all", "missing", |t| {
                remove(t, "Resources/ImportFunction/Properties/Environment");
            }),
        ],
    );
}

#[test]
fn the_function_accepts_the_parameters_defaults_and_limits() {
    holds(
        configuration_accepts_the_parameters,
        &[
            (
                "a default the function refuses (a prefix without its '/')",
                "refuses the template's defaults",
                |t| set(t, "Parameters/DropPrefix/Default", Value::from("incoming")),
            ),
            (
                "a limit the function refuses",
                "allows 50, which the function refuses",
                |t| set(t, "Parameters/UploadAttempts/MaxValue", Value::from(50)),
            ),
            (
                "a lower limit the function refuses",
                "allows 0, which the function refuses",
                |t| set(t, "Parameters/UploadAttempts/MinValue", Value::from(0)),
            ),
            (
                "an allowed value the function refuses",
                "allows maybe, which the function refuses",
                |t| push(t, "Parameters/RequireFullHeader/AllowedValues", Value::from("maybe")),
            ),
            (
                "a source object policy the function does not know",
                "allows archive, which the function refuses",
                |t| push(t, "Parameters/SourceObjectPolicy/AllowedValues", Value::from("archive")),
            ),
            (
                "a variable fixed to a value the function refuses",
                "refuses the template's defaults",
                |t| set(t, &format!("{VARIABLES_PATH}/CLAIM_LEASE_SECONDS"), Value::from("soon")),
            ),
            ("a variable the template cannot fill", "cannot tell what", |t| {
                set(t, &format!("{VARIABLES_PATH}/DROP_PREFIX"), yaml("!Join ['', [a, /]]"))
            }),
        ],
    );
}

#[test]
fn the_build_names_a_binary_of_the_function_crate() {
    holds(
        binary_is_the_crates,
        &[
            ("a binary that does not exist", "has no source", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Metadata/BuildProperties/Binary",
                    Value::from("nope"),
                );
            }),
            (
                "the CLI's binary (another crate's, with the emulator in reach)",
                "has no source",
                |t| {
                    set(
                        t,
                        "Resources/ImportFunction/Metadata/BuildProperties/Binary",
                        Value::from("cognito-import"),
                    );
                },
            ),
            ("no binary named", "no Metadata/BuildProperties/Binary", |t| {
                remove(t, "Resources/ImportFunction/Metadata/BuildProperties");
            }),
        ],
    );
}
