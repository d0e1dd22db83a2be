//! `template.yaml` (the AWS SAM stack) held to the rules it must keep:
//!
//! - the function's policies name their resources: no `*` and no wildcard-only ARN on any `s3:` or
//!   `cognito-idp:` action, S3 only in the drop bucket and under its three prefixes, writes only
//!   under the state and report prefixes (besides the source object policy's), exactly the Cognito
//!   calls the function makes on the one pool, `iam:PassRole` only of the logs role and only to
//!   `cognito-idp.amazonaws.com`;
//! - the scheduled pass's permissions: `s3:ListBucket` held by `s3:prefix` to the drop and state
//!   prefixes and granted for the state prefix without `IfExists`; tagging (reading the tags too)
//!   and deleting dropped files only on `<bucket>/${DropPrefix}*` and only under the
//!   `SourceObjectPolicy` values that use them (conditions evaluated for each value);
//!   `logs:GetLogEvents` on the pool's own
//!   `/aws/cognito/userpools/${UserPoolId}/` log groups alone; `sns:Publish` on the
//!   `NotificationTopicArn` topic alone, and only when there is one;
//! - the Cognito logs role: trusted by `cognito-idp.amazonaws.com` alone, allowed the four `logs:`
//!   actions on `/aws/cognito/*` log groups alone;
//! - the drop bucket: public access blocked, encrypted, TLS-only, versioned, lifecycle rules for
//!   every object under each prefix (reports: the JSON and the per-line CSV alike), a shorter one
//!   for dropped files tagged `cognito-import-outcome=Succeeded` when sources are tagged, and a name
//!   built from parameters (no circular dependency with the function);
//! - the function: Rust on provided.al2023 / arm64, built by cargo-lambda from the Lambda binary,
//!   128 MB and 300 s, an on-failure destination, a log group with retention, and an environment of
//!   exactly `cognito_import::domain::config::VARIABLES`, whose values (the parameters' defaults and limits)
//!   the function's own configuration accepts, `DROP_BUCKET` built like the bucket's name;
//! - the triggers: the S3 notification, the EventBridge rule, the SQS queue with its redrive policy
//!   and ReportBatchItemFailures;
//! - the pass: a SAM `Schedule` event at `rate(1 minute)` on the function, enabled for every
//!   TriggerKind.
//!
//! Each rule is a function returning the problems it finds; each test checks the real template,
//! then breaks it in each way the rule exists to catch and checks that the rule notices. Short-form
//! intrinsics (`!Sub`, `!Ref`, `!GetAtt`, `!If`, …) are read into their long form first, so both
//! spellings are held to the same rules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cognito_import::domain::config::{Config, VARIABLES};
use serde_yaml::{Mapping, Value};

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
/// The bucket's logical id.
const BUCKET: &str = "DropBucket";
const POOL_ACTIONS: [&str; 5] = [
    "cognito-idp:GetCSVHeader",
    "cognito-idp:DescribeUserPool",
    "cognito-idp:CreateUserImportJob",
    "cognito-idp:StartUserImportJob",
    "cognito-idp:DescribeUserImportJob",
];
const LOGS_ROLE_ACTIONS: [&str; 4] = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
];
/// Services the function may be granted anything of; a new one is a decision, made here.
const FUNCTION_SERVICES: [&str; 6] = ["s3", "cognito-idp", "iam", "logs", "sqs", "sns"];
/// What the source object policies do to a dropped file: tag it (tag, delete; its own tags are read
/// first, since PutObjectTagging replaces them all), delete it (delete).
const SOURCE_TAGGING: [&str; 4] = [
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
];
const SOURCE_DELETING: [&str; 2] = ["s3:DeleteObject", "s3:DeleteObjectVersion"];
/// The pass reads each finished job's log (the pool's group, the job's stream).
const JOB_LOG_ACTIONS: [&str; 1] = ["logs:GetLogEvents"];
/// The function writes its own log.
const OWN_LOG_ACTIONS: [&str; 2] = ["logs:CreateLogStream", "logs:PutLogEvents"];
/// The tag the function puts on a dropped version, and the outcome that may expire early.
const OUTCOME_TAG: (&str, &str) = ("cognito-import-outcome", "Succeeded");
/// A topic for the scenarios that have one.
const SAMPLE_TOPIC: &str = "arn:aws:sns:us-east-1:111111111111:imports";
/// Pseudo parameters replaced by sample values before ARNs are read.
const PSEUDO: [(&str, &str); 4] = [
    ("${AWS::StackName}", "cognito-import"),
    ("${AWS::Partition}", "aws"),
    ("${AWS::Region}", "us-east-1"),
    ("${AWS::AccountId}", "111111111111"),
];

type Problems = Vec<String>;
/// The conditions a value takes: `(name, true)` for an `Fn::If`'s first branch, `false` the second.
type Guards = Vec<(String, bool)>;
/// Parameter values that differ from the defaults, for evaluating conditions.
type Scenario<'a> = &'a [(&'a str, &'a str)];
/// A breach: what it is, a fragment of the problem the rule must report for it, and how to make it.
type Mutation = (&'static str, &'static str, fn(&mut Value));

// ------------------------------------------------------------------------------------------------
// Reading the template
// ------------------------------------------------------------------------------------------------

fn load() -> Value {
    let text = std::fs::read_to_string(TEMPLATE).unwrap_or_else(|e| panic!("cannot read {TEMPLATE}: {e}"));
    let raw: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{TEMPLATE} is not valid YAML: {e}"));
    long_form(raw)
}

/// `!Ref X` → `{Ref: X}`, `!GetAtt A.B` → `{Fn::GetAtt: [A, B]}`, `!Sub s` → `{Fn::Sub: s}`, …
fn long_form(v: Value) -> Value {
    match v {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = long_form(tagged.value);
            let (key, inner) = match (name, inner) {
                ("Ref" | "Condition", inner) => (name.to_owned(), inner),
                ("GetAtt", Value::String(s)) => {
                    let (resource, attribute) = s.split_once('.').unwrap_or((s.as_str(), ""));
                    let pair = vec![Value::from(resource), Value::from(attribute)];
                    ("Fn::GetAtt".to_owned(), Value::Sequence(pair))
                }
                (_, inner) => (format!("Fn::{name}"), inner),
            };
            let mut m = Mapping::new();
            m.insert(Value::from(key), inner);
            Value::Mapping(m)
        }
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(long_form).collect()),
        Value::Mapping(m) => Value::Mapping(m.into_iter().map(|(k, v)| (k, long_form(v))).collect()),
        other => other,
    }
}

/// The value at a `/`-separated path of keys and sequence indexes.
fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/').try_fold(v, |v, part| match v {
        Value::Sequence(items) => items.get(part.parse::<usize>().ok()?),
        _ => v.get(part),
    })
}

fn get_mut<'a>(v: &'a mut Value, path: &str) -> &'a mut Value {
    let mut here = v;
    for part in path.split('/') {
        here = match here {
            Value::Sequence(items) => {
                let i: usize = part
                    .parse()
                    .unwrap_or_else(|_| panic!("{part} in {path} is not an index"));
                items.get_mut(i)
            }
            other => other.get_mut(part),
        }
        .unwrap_or_else(|| panic!("the template has no {path} (a mutation needs updating)"));
    }
    here
}

/// Sets the value at `path`, adding the last key to its mapping if it is not there.
fn set(t: &mut Value, path: &str, value: Value) {
    let (parent, last) = path.rsplit_once('/').expect("a path with a parent");
    match get_mut(t, parent) {
        Value::Mapping(m) => {
            m.insert(Value::from(last), value);
        }
        _ => *get_mut(t, path) = value,
    }
}

fn remove(t: &mut Value, path: &str) {
    let (parent, last) = path.rsplit_once('/').expect("a path with a parent");
    let removed = match get_mut(t, parent) {
        Value::Sequence(items) => {
            let i: usize = last.parse().expect("an index");
            (i < items.len()).then(|| items.remove(i))
        }
        Value::Mapping(m) => m.remove(last),
        _ => None,
    };
    assert!(
        removed.is_some(),
        "the template has no {path} (a mutation needs updating)"
    );
}

fn yaml(text: &str) -> Value {
    long_form(serde_yaml::from_str(text).expect("a mutation's YAML"))
}

fn single<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let m = v.as_mapping()?;
    if m.len() == 1 { m.get(key) } else { None }
}

fn is_no_value(v: &Value) -> bool {
    single(v, "Ref").and_then(Value::as_str) == Some("AWS::NoValue")
}

/// Every way an `Fn::If` may turn out, minus `AWS::NoValue`.
fn branches(v: &Value) -> Vec<&Value> {
    if let Some(args) = single(v, "Fn::If").and_then(Value::as_sequence) {
        return args.iter().skip(1).flat_map(branches).collect();
    }
    if is_no_value(v) { Vec::new() } else { vec![v] }
}

/// The items of a list-valued property (or the one value), through every `Fn::If`.
fn items(v: Option<&Value>) -> Vec<&Value> {
    let Some(v) = v else { return Vec::new() };
    branches(v)
        .into_iter()
        .flat_map(|b| match b {
            Value::Sequence(s) => s.iter().flat_map(branches).collect(),
            other => vec![other],
        })
        .collect()
}

/// `branches`, each with the conditions that lead to it.
fn guarded(v: &Value) -> Vec<(Guards, &Value)> {
    let Some(args) = single(v, "Fn::If").and_then(Value::as_sequence) else {
        return if is_no_value(v) {
            Vec::new()
        } else {
            vec![(Vec::new(), v)]
        };
    };
    let name = args.first().and_then(text).unwrap_or_default();
    let mut out = Vec::new();
    for (i, branch) in args.iter().skip(1).take(2).enumerate() {
        for (inner, v) in guarded(branch) {
            let mut guards = vec![(name.clone(), i == 0)];
            guards.extend(inner);
            out.push((guards, v));
        }
    }
    out
}

/// `items`, each with the conditions that lead to it.
fn guarded_items(v: Option<&Value>) -> Vec<(Guards, &Value)> {
    let mut out = Vec::new();
    for (outer, b) in v.map(guarded).unwrap_or_default() {
        match b {
            Value::Sequence(s) => {
                for (inner, item) in s.iter().flat_map(guarded) {
                    out.push((outer.iter().cloned().chain(inner).collect(), item));
                }
            }
            other => out.push((outer, other)),
        }
    }
    out
}

/// An expression as text: strings as they are, `!Sub` templates (their variables filled in),
/// `!Ref X` as `${X}`, `!GetAtt A.B` as `${A.B}`, `!Join` joined. `None` for anything else.
fn render(v: &Value) -> Option<String> {
    if let Value::String(s) = v {
        return Some(s.clone());
    }
    if let Some(sub) = single(v, "Fn::Sub") {
        return match sub {
            Value::String(s) => Some(s.clone()),
            Value::Sequence(args) => {
                let mut text = args.first()?.as_str()?.to_owned();
                for (name, value) in args.get(1)?.as_mapping()? {
                    text = text.replace(&format!("${{{}}}", name.as_str()?), &render(value)?);
                }
                Some(text)
            }
            _ => None,
        };
    }
    if let Some(name) = single(v, "Ref").and_then(Value::as_str) {
        return Some(format!("${{{name}}}"));
    }
    if let Some(pair) = single(v, "Fn::GetAtt").and_then(Value::as_sequence) {
        return Some(format!("${{{}.{}}}", pair.first()?.as_str()?, pair.get(1)?.as_str()?));
    }
    if let Some(args) = single(v, "Fn::Join").and_then(Value::as_sequence) {
        let parts: Option<Vec<String>> = args.get(1)?.as_sequence()?.iter().map(render).collect();
        return Some(parts?.join(args.first()?.as_str()?));
    }
    None
}

/// `render`, with the pseudo parameters replaced by sample values.
fn concrete(v: &Value) -> Option<String> {
    render(v).map(|s| PSEUDO.iter().fold(s, |s, (name, sample)| s.replace(name, sample)))
}

fn resources(t: &Value) -> Vec<(&str, &Value)> {
    t.get("Resources")
        .and_then(Value::as_mapping)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.as_str()?, v))).collect())
        .unwrap_or_default()
}

fn of_type<'a>(t: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    resources(t)
        .into_iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
        .collect()
}

fn resource<'a>(t: &'a Value, id: &str) -> Option<&'a Value> {
    get(t, &format!("Resources/{id}"))
}

fn prop<'a>(r: &'a Value, path: &str) -> Option<&'a Value> {
    get(r, &format!("Properties/{path}"))
}

/// A literal value, or the default of the parameter a `!Ref` names.
fn resolved<'a>(t: &'a Value, v: &'a Value) -> Option<&'a Value> {
    match single(v, "Ref").and_then(Value::as_str) {
        Some(name) => get(t, &format!("Parameters/{name}/Default")),
        None => Some(v),
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

fn is_true(v: Option<&Value>) -> bool {
    v.and_then(text).is_some_and(|s| s.eq_ignore_ascii_case("true"))
}

fn is_ref(v: Option<&Value>, name: &str) -> bool {
    v.and_then(|v| single(v, "Ref")).and_then(Value::as_str) == Some(name)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    items(v).into_iter().filter_map(text).collect()
}

// ------------------------------------------------------------------------------------------------
// Conditions, evaluated for a choice of parameter values
// ------------------------------------------------------------------------------------------------

/// A parameter's value in a scenario: the scenario's, or the parameter's default.
fn parameter_value(t: &Value, name: &str, scenario: Scenario<'_>) -> Option<String> {
    match scenario.iter().find(|(n, _)| *n == name) {
        Some((_, value)) => Some((*value).to_owned()),
        None => get(t, &format!("Parameters/{name}/Default")).and_then(text),
    }
}

fn operand(t: &Value, v: &Value, scenario: Scenario<'_>) -> Result<String, String> {
    match single(v, "Ref").and_then(Value::as_str) {
        Some(name) => parameter_value(t, name, scenario).ok_or_else(|| format!("no value for the parameter {name}")),
        None => text(v).ok_or_else(|| format!("cannot evaluate {v:?}")),
    }
}

/// Whether a condition expression holds (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`).
fn truth(t: &Value, v: &Value, scenario: Scenario<'_>) -> Result<bool, String> {
    if let Some(name) = single(v, "Condition").and_then(Value::as_str) {
        return condition(t, name, scenario);
    }
    let args = |f: &str| single(v, f).and_then(Value::as_sequence).map(|a| a.as_slice());
    if let Some(pair) = args("Fn::Equals") {
        let [a, b] = pair else {
            return Err(format!("Fn::Equals with {} arguments", pair.len()));
        };
        return Ok(operand(t, a, scenario)? == operand(t, b, scenario)?);
    }
    if let Some([one]) = args("Fn::Not") {
        return Ok(!truth(t, one, scenario)?);
    }
    if let Some(all) = args("Fn::And") {
        let values: Result<Vec<bool>, String> = all.iter().map(|c| truth(t, c, scenario)).collect();
        return Ok(values?.into_iter().all(|b| b));
    }
    if let Some(any) = args("Fn::Or") {
        let values: Result<Vec<bool>, String> = any.iter().map(|c| truth(t, c, scenario)).collect();
        return Ok(values?.into_iter().any(|b| b));
    }
    Err(format!("cannot evaluate the condition {v:?}"))
}

/// Whether the template's condition `name` holds.
fn condition(t: &Value, name: &str, scenario: Scenario<'_>) -> Result<bool, String> {
    let v = get(t, &format!("Conditions/{name}")).ok_or_else(|| format!("no condition {name}"))?;
    truth(t, v, scenario)
}

/// Whether every guard holds: the guarded value is there.
fn takes(t: &Value, guards: &Guards, scenario: Scenario<'_>) -> Result<bool, String> {
    for (name, branch) in guards {
        if condition(t, name, scenario)? != *branch {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A value with its `Fn::If`s decided (`None` for `AWS::NoValue`).
fn decided<'a>(t: &Value, v: &'a Value, scenario: Scenario<'_>) -> Result<Option<&'a Value>, String> {
    if let Some(args) = single(v, "Fn::If").and_then(Value::as_sequence) {
        let name = args.first().and_then(Value::as_str).unwrap_or_default();
        let branch = if condition(t, name, scenario)? { 1 } else { 2 };
        let chosen = args
            .get(branch)
            .ok_or_else(|| format!("Fn::If {name} lacks a branch"))?;
        return decided(t, chosen, scenario);
    }
    Ok((!is_no_value(v)).then_some(v))
}

/// Whether a mapping key appears anywhere in `v`.
fn has_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Mapping(m) => m.iter().any(|(k, v)| k.as_str() == Some(key) || has_key(v, key)),
        Value::Sequence(items) => items.iter().any(|v| has_key(v, key)),
        _ => false,
    }
}

// ------------------------------------------------------------------------------------------------
// Policies
// ------------------------------------------------------------------------------------------------

/// A policy statement, where it comes from (for messages), and the conditions it is there under.
struct Statement<'a> {
    origin: String,
    body: &'a Value,
    when: Guards,
}

impl Statement<'_> {
    fn actions(&self) -> Vec<String> {
        strings(self.body.get("Action"))
    }
    fn resources(&self) -> Vec<&Value> {
        items(self.body.get("Resource"))
    }
    fn allows(&self) -> bool {
        self.body.get("Effect").and_then(Value::as_str) == Some("Allow")
    }
    fn name(&self) -> String {
        match self.body.get("Sid").and_then(Value::as_str) {
            Some(sid) => format!("{}/{sid}", self.origin),
            None => self.origin.clone(),
        }
    }
    /// Whether the statement is there with these parameter values (an unreadable condition is a
    /// problem, and the statement counts as there).
    fn present(&self, t: &Value, scenario: Scenario<'_>, problems: &mut Problems) -> bool {
        takes(t, &self.when, scenario).unwrap_or_else(|e| {
            problems.push(format!("{}: {e}", self.name()));
            true
        })
    }
}

fn document_statements<'a>(doc: &'a Value, origin: &str, out: &mut Vec<Statement<'a>>) {
    document_statements_when(doc, origin, &Vec::new(), out);
}

fn document_statements_when<'a>(doc: &'a Value, origin: &str, when: &Guards, out: &mut Vec<Statement<'a>>) {
    for (outer, doc) in guarded(doc) {
        for (inner, body) in guarded_items(doc.get("Statement")) {
            out.push(Statement {
                origin: origin.to_owned(),
                body,
                when: when.iter().chain(&outer).chain(&inner).cloned().collect(),
            });
        }
    }
}

/// Every statement of a role: its inline policies and the policy resources attached to it. A
/// managed policy ARN cannot be read from here, so it is a problem in itself.
fn role_statements<'a>(t: &'a Value, role: &str, problems: &mut Problems) -> Vec<Statement<'a>> {
    let mut out = Vec::new();
    let Some(r) = resource(t, role) else {
        problems.push(format!("no resource {role}"));
        return out;
    };
    if r.get("Type").and_then(Value::as_str) != Some("AWS::IAM::Role") {
        problems.push(format!("{role} is not an AWS::IAM::Role"));
    }
    let role_condition: Guards = r
        .get("Condition")
        .and_then(text)
        .map(|c| (c, true))
        .into_iter()
        .collect();
    for (when, policy) in guarded_items(prop(r, "Policies")) {
        let name = policy.get("PolicyName").and_then(render).unwrap_or_default();
        let when: Guards = role_condition.iter().cloned().chain(when).collect();
        match policy.get("PolicyDocument") {
            Some(doc) => document_statements_when(doc, &format!("{role}/{name}"), &when, &mut out),
            None => problems.push(format!("{role}: policy {name} has no PolicyDocument")),
        }
    }
    for arn in items(prop(r, "ManagedPolicyArns")) {
        problems.push(format!(
            "{role} has the managed policy {} attached: its statements cannot be checked here (write them inline)",
            render(arn).unwrap_or_else(|| format!("{arn:?}"))
        ));
    }
    for kind in ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"] {
        for (id, policy) in of_type(t, kind) {
            let attached = items(prop(policy, "Roles")).into_iter().any(|v| is_ref(Some(v), role))
                || is_ref(prop(policy, "RoleName"), role);
            if attached && let Some(doc) = prop(policy, "PolicyDocument") {
                let when: Guards = policy
                    .get("Condition")
                    .and_then(text)
                    .map(|c| (c, true))
                    .into_iter()
                    .collect();
                document_statements_when(doc, id, &when, &mut out);
            }
        }
    }
    out
}

/// The template's one function: its logical id and resource.
fn function(t: &Value) -> Result<(&str, &Value), String> {
    match of_type(t, "AWS::Serverless::Function").as_slice() {
        [one] => Ok(*one),
        found => Err(format!("expected one AWS::Serverless::Function, found {}", found.len())),
    }
}

/// The statements of every policy the function gets.
fn function_statements<'a>(t: &'a Value, problems: &mut Problems) -> Vec<Statement<'a>> {
    let (id, f) = match function(t) {
        Ok(found) => found,
        Err(e) => {
            problems.push(e);
            return Vec::new();
        }
    };
    if let Some(role) = prop(f, "Role") {
        if prop(f, "Policies").is_some() {
            problems.push(format!("{id} has both Role and Policies; SAM ignores Policies then"));
        }
        let pair = single(role, "Fn::GetAtt").and_then(Value::as_sequence);
        return match pair.and_then(|p| p.first()).and_then(Value::as_str) {
            Some(role) => role_statements(t, role, problems),
            None => {
                problems.push(format!("{id}'s Role is not !GetAtt <role in this template>.Arn"));
                Vec::new()
            }
        };
    }
    // SAM makes the role: the function's Policies (inline documents only) and the basic execution
    // policy it always adds.
    let mut out = Vec::new();
    for (when, policy) in guarded_items(prop(f, "Policies")) {
        if policy.get("Statement").is_some() {
            document_statements_when(policy, &format!("{id}/Policies"), &when, &mut out);
        } else {
            problems.push(format!(
                "{id}: Policies entry {policy:?} is a managed policy or SAM policy template, which this test cannot read"
            ));
        }
    }
    out
}

/// The role that Cognito is trusted to assume, by logical id.
fn logs_roles(t: &Value) -> Vec<&str> {
    of_type(t, "AWS::IAM::Role")
        .into_iter()
        .filter(|(_, r)| {
            let mut trust = Vec::new();
            if let Some(doc) = prop(r, "AssumeRolePolicyDocument") {
                document_statements(doc, "", &mut trust);
            }
            trust.iter().any(|s| {
                strings(s.body.get("Principal").and_then(|p| p.get("Service")))
                    .iter()
                    .any(|service| service == "cognito-idp.amazonaws.com")
            })
        })
        .map(|(id, _)| id)
        .collect()
}

fn logs_role(t: &Value) -> Result<&str, String> {
    match logs_roles(t).as_slice() {
        [one] => Ok(one),
        found => Err(format!(
            "expected one role trusted by cognito-idp.amazonaws.com, found {found:?}"
        )),
    }
}

/// The bucket's name as its ARN spells it, with sample pseudo parameters.
fn bucket_name(t: &Value) -> Option<String> {
    resource(t, BUCKET)
        .and_then(|b| prop(b, "BucketName"))
        .and_then(concrete)
}

fn lower(actions: &[String]) -> BTreeSet<String> {
    actions.iter().map(|a| a.to_ascii_lowercase()).collect()
}

/// The values (rendered) a statement's condition gives `key` under any of `operators`.
fn condition_value(s: &Statement<'_>, operators: &[&str], key: &str) -> Vec<String> {
    let condition = s.body.get("Condition");
    operators
        .iter()
        .flat_map(|op| items(condition.and_then(|c| c.get(*op)).and_then(|c| c.get(key))))
        .filter_map(|v| render(v).or_else(|| text(v)))
        .collect()
}

// ------------------------------------------------------------------------------------------------
// The rules
// ------------------------------------------------------------------------------------------------

/// The function's S3 and Cognito permissions name their resources.
fn function_s3_and_cognito_permissions(t: &Value) -> Problems {
    let mut problems = Vec::new();
    let statements = function_statements(t, &mut problems);
    if statements.is_empty() {
        problems.push("the function gets no policy statements at all".into());
    }
    let bucket = bucket_name(t);
    if bucket.is_none() {
        problems.push(format!("{BUCKET} has no readable BucketName"));
    }
    let pool_arn = "arn:aws:cognito-idp:us-east-1:111111111111:userpool/${UserPoolId}";
    let mut pool_actions = BTreeSet::new();
    let mut s3_reads = false;
    // The prefixes the function may PutObject under.
    let mut s3_puts = BTreeSet::new();
    for s in &statements {
        let name = s.name();
        for forbidden in ["NotAction", "NotResource", "NotPrincipal"] {
            if s.body.get(forbidden).is_some() {
                problems.push(format!("{name}: uses {forbidden}"));
            }
        }
        if !s.allows() {
            continue;
        }
        let actions = lower(&s.actions());
        if actions.is_empty() {
            problems.push(format!("{name}: no readable Action"));
        }
        for action in &actions {
            if action.contains('*') || action.contains('?') {
                problems.push(format!("{name}: wildcard action {action}"));
            }
            let service = action.split(':').next().unwrap_or_default();
            if !FUNCTION_SERVICES.contains(&service) {
                problems.push(format!(
                    "{name}: action {action} of a service the function has no use for"
                ));
            }
        }
        let s3 = actions.iter().any(|a| a.starts_with("s3:"));
        let cognito = actions.iter().any(|a| a.starts_with("cognito-idp:"));
        if !(s3 || cognito) {
            continue;
        }
        if s3 && cognito {
            problems.push(format!("{name}: mixes s3: and cognito-idp: actions"));
        }
        let resources = s.resources();
        if resources.is_empty() {
            problems.push(format!("{name}: no Resource"));
        }
        for r in resources {
            let Some(arn) = concrete(r) else {
                problems.push(format!("{name}: unreadable resource {r:?}"));
                continue;
            };
            if arn == "*" {
                problems.push(format!("{name}: Resource \"*\""));
                continue;
            }
            if arn.contains(&format!("${{{BUCKET}")) {
                problems.push(format!(
                    "{name}: {arn} refers to the bucket resource; with the S3 trigger that is a circular \
                     dependency (name the bucket with the same !Sub as its BucketName)"
                ));
                continue;
            }
            if cognito {
                pool_actions.extend(actions.iter().cloned());
                if arn != pool_arn {
                    problems.push(format!("{name}: {arn} is not the user pool's ARN {pool_arn}"));
                }
                continue;
            }
            // S3: this bucket, and objects only under its prefixes.
            let Some(path) = arn.strip_prefix("arn:aws:s3:::") else {
                problems.push(format!("{name}: {arn} is not an S3 ARN"));
                continue;
            };
            let (name_part, key) = match path.split_once('/') {
                Some((b, k)) => (b, Some(k)),
                None => (path, None),
            };
            if Some(name_part) != bucket.as_deref() {
                problems.push(format!("{name}: {arn} is not in the drop bucket {bucket:?}"));
            }
            match key {
                None => {
                    let bucket_level: BTreeSet<&str> = ["s3:listbucket", "s3:listbucketversions"].into();
                    for action in &actions {
                        if !bucket_level.contains(action.as_str()) {
                            problems.push(format!("{name}: {action} on the whole bucket {arn}"));
                        }
                    }
                    if condition_value(s, &["StringLike", "StringLikeIfExists", "StringEquals"], "s3:prefix").is_empty()
                    {
                        problems.push(format!("{name}: listing the bucket without an s3:prefix condition"));
                    }
                }
                Some(key) => {
                    let under = |prefix: &str| key.starts_with(&format!("${{{prefix}}}"));
                    if !["DropPrefix", "StatePrefix", "ReportPrefix"].iter().any(|p| under(p)) {
                        problems.push(format!("{name}: {arn} is not under one of the three prefixes"));
                    }
                    let writes: Vec<&String> = actions
                        .iter()
                        .filter(|a| a.starts_with("s3:put") || a.starts_with("s3:delete"))
                        .collect();
                    // Tagging and deleting dropped files: the source object policy (its own rule).
                    let source: Vec<String> = SOURCE_TAGGING
                        .iter()
                        .chain(&SOURCE_DELETING)
                        .map(|a| a.to_ascii_lowercase())
                        .collect();
                    let on_sources = under("DropPrefix") && writes.iter().all(|a| source.contains(*a));
                    let writable = on_sources || under("StatePrefix") || under("ReportPrefix");
                    if !writes.is_empty() && !writable {
                        problems.push(format!(
                            "{name}: {writes:?} on {arn}, outside the state and report prefixes"
                        ));
                    }
                    if actions.contains("s3:putobject") {
                        s3_puts.extend(["StatePrefix", "ReportPrefix"].into_iter().filter(|p| under(p)));
                    }
                    if actions.contains("s3:getobject") && under("DropPrefix") {
                        s3_reads = true;
                    }
                }
            }
        }
    }
    let expected: BTreeSet<String> = POOL_ACTIONS.iter().map(|a| a.to_ascii_lowercase()).collect();
    if pool_actions != expected {
        problems.push(format!(
            "the Cognito actions granted are {pool_actions:?}, not exactly the calls the function makes {expected:?}"
        ));
    }
    if !s3_reads {
        problems.push("the function cannot GetObject under the drop prefix".into());
    }
    if s3_puts.len() < 2 {
        problems.push("the function cannot write its state records and reports".into());
    }
    problems
}

/// s3:ListBucket: listings only under the drop and state prefixes, and the pass's listing of the
/// state records granted on its own (StringLike, not IfExists, unconditional).
fn function_lists_only_state_records(t: &Value) -> Problems {
    let mut problems = Vec::new();
    let statements = function_statements(t, &mut problems);
    let allowed = ["${DropPrefix}*", "${StatePrefix}*"];
    let mut lists_state_records = false;
    for s in statements.iter().filter(|s| s.allows()) {
        if !lower(&s.actions()).contains("s3:listbucket") {
            continue;
        }
        let name = s.name();
        // (operator, value) of every s3:prefix condition.
        let mut prefixes = Vec::new();
        let operators = s.body.get("Condition").and_then(Value::as_mapping);
        for (operator, keys) in operators.into_iter().flatten() {
            for (key, values) in keys.as_mapping().into_iter().flatten() {
                if key.as_str() == Some("s3:prefix") {
                    for v in items(Some(values)) {
                        prefixes.push((text(operator).unwrap_or_default(), render(v).unwrap_or_default()));
                    }
                }
            }
        }
        if prefixes.is_empty() {
            problems.push(format!("{name}: s3:ListBucket without an s3:prefix condition"));
        }
        for (_, prefix) in &prefixes {
            if !allowed.contains(&prefix.as_str()) {
                problems.push(format!(
                    "{name}: lets the function list {prefix:?}, outside the drop and state prefixes"
                ));
            }
        }
        if s.when.is_empty()
            && operators.is_some_and(|o| o.len() == 1)
            && prefixes == [("StringLike".to_owned(), "${StatePrefix}*".to_owned())]
        {
            lists_state_records = true;
        }
    }
    if !lists_state_records {
        problems.push(
            "the function cannot list the state records: no unconditional s3:ListBucket held by StringLike \
             s3:prefix ${StatePrefix}* alone"
                .into(),
        );
    }
    problems
}

/// Tagging and deleting dropped files: only `<bucket>/${DropPrefix}*`, and only under the
/// SourceObjectPolicy values that do it (tag and delete tag, delete deletes).
fn function_changes_sources_only_as_the_policy_says(t: &Value) -> Problems {
    let mut problems = Vec::new();
    let statements = function_statements(t, &mut problems);
    let Some(bucket) = bucket_name(t) else {
        return vec![format!("{BUCKET} has no readable BucketName")];
    };
    let sources = format!("arn:aws:s3:::{bucket}/${{DropPrefix}}*");
    let lock = format!("arn:aws:s3:::{bucket}/${{StatePrefix}}queue.lock");
    let tagging = lower(&SOURCE_TAGGING.map(String::from));
    let deleting = lower(&SOURCE_DELETING.map(String::from));

    // Where: the dropped files (and the pass's lock object, for DeleteObject).
    for s in statements.iter().filter(|s| s.allows()) {
        let name = s.name();
        for action in lower(&s.actions()) {
            if !(tagging.contains(&action) || deleting.contains(&action)) {
                continue;
            }
            for arn in s.resources().into_iter().map(|r| concrete(r).unwrap_or_default()) {
                let lock_release = action == "s3:deleteobject" && arn == lock;
                if arn != sources && !lock_release {
                    problems.push(format!(
                        "{name}: {action} on {arn:?}, not only the dropped files {sources}"
                    ));
                }
            }
        }
    }

    // When: for each policy, exactly what it does.
    let policies = strings(get(t, "Parameters/SourceObjectPolicy/AllowedValues"));
    if policies != ["keep", "tag", "delete"] {
        problems.push(format!(
            "SourceObjectPolicy allows {policies:?}, not exactly [keep, tag, delete]"
        ));
    }
    for policy in &policies {
        let scenario = [("SourceObjectPolicy", policy.as_str())];
        let mut granted = BTreeSet::new();
        for s in statements.iter().filter(|s| s.allows()) {
            let on_sources = s
                .resources()
                .into_iter()
                .any(|r| concrete(r).as_deref() == Some(sources.as_str()));
            if on_sources && s.present(t, &scenario, &mut problems) {
                granted.extend(lower(&s.actions()));
            }
        }
        let uses = |action: &String| match policy.as_str() {
            "tag" => tagging.contains(action),
            "delete" => tagging.contains(action) || deleting.contains(action),
            _ => false,
        };
        for action in tagging.iter().chain(&deleting) {
            match (granted.contains(action), uses(action)) {
                (true, false) => problems.push(format!(
                    "under SourceObjectPolicy {policy} the function gets {action} on the dropped files, which that policy does not use"
                )),
                (false, true) => problems.push(format!(
                    "under SourceObjectPolicy {policy} the function cannot {action} the dropped files"
                )),
                _ => {}
            }
        }
    }
    problems
}

/// The pass reads the import jobs' logs: only the pool's own Cognito log groups; the function's
/// other logs: permission is writing its own log.
fn function_reads_only_the_pools_job_logs(t: &Value) -> Problems {
    let mut problems = Vec::new();
    let statements = function_statements(t, &mut problems);
    let pool_logs = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/cognito/userpools/${UserPoolId}/*";
    let own_log = function(t)
        .ok()
        .and_then(|(_, f)| prop(f, "LoggingConfig/LogGroup"))
        .and_then(|g| single(g, "Ref"))
        .and_then(Value::as_str)
        .map(|g| format!("${{{g}.Arn}}"));
    let reads = lower(&JOB_LOG_ACTIONS.map(String::from));
    let writes = lower(&OWN_LOG_ACTIONS.map(String::from));
    let mut granted = BTreeSet::new();
    for s in statements.iter().filter(|s| s.allows()) {
        let name = s.name();
        let resources: Vec<String> = s
            .resources()
            .into_iter()
            .map(|r| concrete(r).unwrap_or_default())
            .collect();
        for action in lower(&s.actions()).into_iter().filter(|a| a.starts_with("logs:")) {
            if reads.contains(&action) {
                for arn in &resources {
                    if arn != pool_logs {
                        problems.push(format!(
                            "{name}: {action} on {arn:?}, not only the pool's log groups {pool_logs}"
                        ));
                    }
                }
                if resources.iter().any(|arn| arn == pool_logs) {
                    granted.insert(action);
                }
            } else if writes.contains(&action) {
                for arn in &resources {
                    if Some(arn) != own_log.as_ref() {
                        problems.push(format!(
                            "{name}: {action} on {arn:?}, not the function's own log group {own_log:?}"
                        ));
                    }
                }
            } else {
                problems.push(format!("{name}: {action}, a logs: action the function has no use for"));
            }
        }
    }
    if granted != reads {
        let missing: Vec<&String> = reads.difference(&granted).collect();
        problems.push(format!(
            "the function cannot read the import jobs' logs: {missing:?} not granted on {pool_logs}"
        ));
    }
    problems
}

/// sns:Publish: the NotificationTopicArn topic alone, and only when there is one.
fn function_publishes_only_to_the_topic(t: &Value) -> Problems {
    let mut problems = Vec::new();
    let statements = function_statements(t, &mut problems);
    if get(t, "Parameters/NotificationTopicArn/Default")
        .and_then(text)
        .as_deref()
        != Some("")
    {
        problems.push("NotificationTopicArn's default is not empty: no topic unless one is given".into());
    }
    let mut publishes = false;
    for s in statements.iter().filter(|s| s.allows()) {
        let actions = lower(&s.actions());
        if !actions.iter().any(|a| a.starts_with("sns:")) {
            continue;
        }
        let name = s.name();
        if actions != BTreeSet::from(["sns:publish".to_owned()]) {
            problems.push(format!("{name}: {actions:?}, not sns:Publish alone"));
        }
        let resources: Vec<Option<String>> = s.resources().into_iter().map(render).collect();
        if resources != [Some("${NotificationTopicArn}".to_owned())] {
            problems.push(format!(
                "{name}: publishes to {resources:?}, not just the topic !Ref NotificationTopicArn"
            ));
        }
        if s.present(t, &[("NotificationTopicArn", "")], &mut problems) {
            problems.push(format!(
                "{name} is there with no topic (NotificationTopicArn empty): it must be conditional on the topic"
            ));
        }
        if s.present(t, &[("NotificationTopicArn", SAMPLE_TOPIC)], &mut problems) {
            publishes = true;
        }
    }
    if !publishes {
        problems.push(format!(
            "given a topic ({SAMPLE_TOPIC}), the function cannot publish to it"
        ));
    }
    problems
}

/// iam:PassRole: only the logs role, only to Cognito.
fn function_pass_role(t: &Value) -> Problems {
    let mut problems = Vec::new();
    let statements = function_statements(t, &mut problems);
    let role = match logs_role(t) {
        Ok(role) => role,
        Err(e) => return vec![e],
    };
    let mut passes = 0;
    for s in statements.iter().filter(|s| s.allows()) {
        let actions = lower(&s.actions());
        if !actions.iter().any(|a| a.starts_with("iam:")) {
            continue;
        }
        let name = s.name();
        if actions != BTreeSet::from(["iam:passrole".to_owned()]) {
            problems.push(format!("{name}: IAM actions {actions:?} besides iam:PassRole alone"));
        }
        passes += 1;
        let resources: Vec<Option<String>> = s.resources().into_iter().map(render).collect();
        if resources != vec![Some(format!("${{{role}.Arn}}"))] {
            problems.push(format!("{name}: passes {resources:?}, not just the logs role {role}"));
        }
        let services = condition_value(s, &["StringEquals"], "iam:PassedToService");
        if services != ["cognito-idp.amazonaws.com"] {
            problems.push(format!(
                "{name}: iam:PassedToService condition is {services:?}, not [cognito-idp.amazonaws.com]"
            ));
        }
    }
    if passes == 0 {
        problems.push("the function may not pass the logs role to Cognito (CreateUserImportJob needs it)".into());
    }
    problems
}

/// The logs role: trusted by Cognito alone; the four logs: actions on /aws/cognito/* alone.
fn cognito_logs_role(t: &Value) -> Problems {
    let role = match logs_role(t) {
        Ok(role) => role,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let r = resource(t, role).expect("the role exists");
    let mut trust = Vec::new();
    if let Some(doc) = prop(r, "AssumeRolePolicyDocument") {
        document_statements(doc, role, &mut trust);
    }
    for s in &trust {
        let principal = s.body.get("Principal").and_then(Value::as_mapping);
        let keys: Vec<String> = principal
            .map(|p| p.keys().filter_map(text).collect())
            .unwrap_or_default();
        let services = strings(s.body.get("Principal").and_then(|p| p.get("Service")));
        if !s.allows()
            || keys != ["Service"]
            || services != ["cognito-idp.amazonaws.com"]
            || lower(&s.actions()) != BTreeSet::from(["sts:assumerole".to_owned()])
        {
            problems.push(format!(
                "{role}: trust statement {:?} is not Allow cognito-idp.amazonaws.com sts:AssumeRole alone",
                s.body
            ));
        }
    }
    let statements = role_statements(t, role, &mut problems);
    let mut granted = BTreeSet::new();
    for s in &statements {
        let name = s.name();
        if !s.allows() {
            continue;
        }
        granted.extend(lower(&s.actions()));
        let resources = s.resources();
        if resources.is_empty() {
            problems.push(format!("{name}: no Resource"));
        }
        for r in resources {
            let arn = concrete(r).unwrap_or_default();
            if !arn.starts_with("arn:aws:logs:us-east-1:111111111111:log-group:/aws/cognito/") {
                problems.push(format!(
                    "{name}: {arn:?} is not a /aws/cognito/* log group of this account"
                ));
            }
        }
    }
    let expected: BTreeSet<String> = LOGS_ROLE_ACTIONS.iter().map(|a| a.to_ascii_lowercase()).collect();
    if granted != expected {
        problems.push(format!("{role} allows {granted:?}, not exactly {expected:?}"));
    }
    match function(t) {
        Ok((id, f)) => {
            let value = prop(f, "Environment/Variables/CLOUDWATCH_LOGS_ROLE_ARN").and_then(render);
            if value != Some(format!("${{{role}.Arn}}")) {
                problems.push(format!(
                    "{id}'s CLOUDWATCH_LOGS_ROLE_ARN is {value:?}, not {role}'s ARN"
                ));
            }
        }
        Err(e) => problems.push(e),
    }
    problems
}

/// The drop bucket: private, encrypted, TLS-only, versioned, with lifecycle rules, named by !Sub.
fn drop_bucket(t: &Value) -> Problems {
    let Some(b) = resource(t, BUCKET) else {
        return vec![format!("no resource {BUCKET}")];
    };
    let mut problems = Vec::new();
    if b.get("Type").and_then(Value::as_str) != Some("AWS::S3::Bucket") {
        problems.push(format!("{BUCKET} is not an AWS::S3::Bucket"));
    }
    // The name may use parameters and pseudo parameters, never another resource.
    match prop(b, "BucketName").and_then(render) {
        None => problems.push(format!(
            "{BUCKET} has no BucketName built with !Sub: its ARN cannot be written without !Ref"
        )),
        Some(name) => {
            let parameters = get(t, "Parameters").and_then(Value::as_mapping);
            let mut rest = name.as_str();
            let mut literal = String::new();
            while let Some(start) = rest.find("${") {
                literal.push_str(&rest[..start]);
                let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
                let var = &rest[start + 2..end];
                let is_parameter = parameters.is_some_and(|p| p.contains_key(var));
                if !(var.starts_with("AWS::") || is_parameter) {
                    problems.push(format!("{BUCKET}'s name refers to {var}, not only to parameters"));
                }
                rest = rest.get(end + 1..).unwrap_or_default();
            }
            literal.push_str(rest);
            if literal
                .chars()
                .any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'))
            {
                problems.push(format!(
                    "{BUCKET}'s name {name} has characters a bucket name cannot have"
                ));
            }
        }
    }
    for flag in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        if !is_true(prop(b, &format!("PublicAccessBlockConfiguration/{flag}"))) {
            problems.push(format!("{BUCKET}: PublicAccessBlockConfiguration/{flag} is not true"));
        }
    }
    let encryption = items(prop(b, "BucketEncryption/ServerSideEncryptionConfiguration"));
    if encryption.is_empty() {
        problems.push(format!("{BUCKET} has no default encryption"));
    }
    for rule in encryption {
        let algorithm = get(rule, "ServerSideEncryptionByDefault/SSEAlgorithm").and_then(Value::as_str);
        if !matches!(algorithm, Some("AES256" | "aws:kms" | "aws:kms:dsse")) {
            problems.push(format!("{BUCKET}: encryption algorithm {algorithm:?}"));
        }
    }
    if prop(b, "VersioningConfiguration/Status").and_then(Value::as_str) != Some("Enabled") {
        problems.push(format!(
            "{BUCKET}: versioning is not Enabled (the function pins the version an event names)"
        ));
    }

    // Lifecycle: every object under each prefix expires, old versions too (no tag or size filter:
    // the reports are a JSON summary and a per-line CSV that may hold usernames).
    let rules = items(prop(b, "LifecycleConfiguration/Rules"));
    let narrowed = |rule: &Value| {
        [
            "TagFilters",
            "ObjectSizeGreaterThan",
            "ObjectSizeLessThan",
            "Filter/Tag",
            "Filter/And",
        ]
        .iter()
        .any(|key| get(rule, key).is_some())
    };
    let under =
        |rule: &Value, prefix: &str| is_ref(rule.get("Prefix"), prefix) || is_ref(get(rule, "Filter/Prefix"), prefix);
    for prefix in ["DropPrefix", "StatePrefix", "ReportPrefix"] {
        let found = rules.iter().any(|rule| {
            rule.get("Status").and_then(Value::as_str) == Some("Enabled")
                && under(rule, prefix)
                && !narrowed(rule)
                && rule.get("ExpirationInDays").is_some()
                && get(rule, "NoncurrentVersionExpiration/NoncurrentDays").is_some()
        });
        if !found {
            problems.push(format!(
                "{BUCKET}: no enabled lifecycle rule expiring every current and noncurrent object (no tag or size \
                 filter) under {prefix}"
            ));
        }
    }
    // Dropped files the function tagged Succeeded go sooner, whenever it tags them.
    for policy in ["tag", "delete"] {
        let scenario = [("SourceObjectPolicy", policy)];
        let found = guarded_items(prop(b, "LifecycleConfiguration/Rules"))
            .into_iter()
            .any(|(guards, rule)| {
                let status = rule.get("Status").map(|s| decided(t, s, &scenario));
                let tags: Vec<(String, String)> = items(rule.get("TagFilters"))
                    .into_iter()
                    .map(|f| {
                        let field = |k: &str| f.get(k).and_then(text).unwrap_or_default();
                        (field("Key"), field("Value"))
                    })
                    .collect();
                takes(t, &guards, &scenario) == Ok(true)
                    && matches!(status, Some(Ok(Some(s))) if s.as_str() == Some("Enabled"))
                    && under(rule, "DropPrefix")
                    && tags == [(OUTCOME_TAG.0.to_owned(), OUTCOME_TAG.1.to_owned())]
                    && is_ref(rule.get("ExpirationInDays"), "SucceededCsvExpirationDays")
                    && get(rule, "NoncurrentVersionExpiration/NoncurrentDays").is_some()
            });
        if !found {
            problems.push(format!(
                "{BUCKET}: under SourceObjectPolicy {policy}, no enabled lifecycle rule expiring dropped files \
                 tagged {}={} (current and noncurrent) after SucceededCsvExpirationDays",
                OUTCOME_TAG.0, OUTCOME_TAG.1
            ));
        }
    }
    let default_days = |p: &str| {
        get(t, &format!("Parameters/{p}/Default"))
            .and_then(text)
            .and_then(|d| d.parse::<u64>().ok())
    };
    let (succeeded, processed) = (
        default_days("SucceededCsvExpirationDays"),
        default_days("ProcessedCsvExpirationDays"),
    );
    if !matches!((succeeded, processed), (Some(s), Some(p)) if s < p) {
        problems.push(format!(
            "SucceededCsvExpirationDays' default {succeeded:?} is not shorter than ProcessedCsvExpirationDays' {processed:?}"
        ));
    }

    // TLS only: a bucket policy denying every request without aws:SecureTransport.
    let policies: Vec<&Value> = of_type(t, "AWS::S3::BucketPolicy")
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| is_ref(prop(p, "Bucket"), BUCKET))
        .collect();
    let tls_only = policies.iter().any(|p| {
        let mut statements = Vec::new();
        document_statements(prop(p, "PolicyDocument").unwrap_or(&Value::Null), "", &mut statements);
        statements.iter().any(|s| {
            let principal = s.body.get("Principal").map(|p| match p.get("AWS") {
                Some(aws) => strings(Some(aws)),
                None => strings(Some(p)),
            });
            let resources: BTreeSet<String> = s.resources().into_iter().filter_map(render).collect();
            let insecure = condition_value(s, &["Bool"], "aws:SecureTransport");
            s.body.get("Effect").and_then(Value::as_str) == Some("Deny")
                && principal == Some(vec!["*".to_owned()])
                && lower(&s.actions()).contains("s3:*")
                && resources.contains(&format!("${{{BUCKET}.Arn}}"))
                && resources.contains(&format!("${{{BUCKET}.Arn}}/*"))
                && insecure.iter().any(|v| v.eq_ignore_ascii_case("false"))
        })
    });
    if !tls_only {
        problems.push(format!(
            "{BUCKET} has no bucket policy denying s3:* to everyone on it and its objects when aws:SecureTransport is false"
        ));
    }
    problems
}

/// The function: how it is built and run, its log, its failure destination, its environment.
fn the_function(t: &Value) -> Problems {
    let (id, f) = match function(t) {
        Ok(found) => found,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let expect = |problems: &mut Problems, path: &str, want: &str| {
        let got = get(f, path).and_then(|v| resolved(t, v)).and_then(text);
        if got.as_deref() != Some(want) {
            problems.push(format!("{id}: {path} is {got:?}, not {want}"));
        }
    };
    expect(&mut problems, "Properties/Runtime", "provided.al2023");
    expect(&mut problems, "Properties/Handler", "bootstrap");
    expect(&mut problems, "Properties/Architectures/0", "arm64");
    if items(prop(f, "Architectures")).len() != 1 {
        problems.push(format!("{id}: not exactly one architecture"));
    }
    expect(&mut problems, "Metadata/BuildMethod", "rust-cargolambda");
    expect(
        &mut problems,
        "Metadata/BuildProperties/Binary",
        "cognito-import-lambda",
    );
    let binary = get(f, "Metadata/BuildProperties/Binary")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("src/bin/{binary}.rs"));
    if !source.is_file() {
        problems.push(format!("{id}: the binary {binary} has no source {}", source.display()));
    }
    expect(&mut problems, "Properties/MemorySize", "128");
    expect(&mut problems, "Properties/Timeout", "300");

    // Asynchronous invocations that keep failing land somewhere.
    let destination = prop(f, "EventInvokeConfig/DestinationConfig/OnFailure/Destination");
    let dead_letters = prop(f, "DeadLetterQueue/TargetArn");
    if destination.or(dead_letters).and_then(render).is_none() {
        problems.push(format!(
            "{id} has neither an on-failure destination nor a dead-letter queue for asynchronous invocations"
        ));
    }

    // Its log group, with a retention.
    let group = prop(f, "LoggingConfig/LogGroup")
        .and_then(|g| single(g, "Ref"))
        .and_then(Value::as_str);
    let retention = group
        .and_then(|g| resource(t, g))
        .filter(|g| g.get("Type").and_then(Value::as_str) == Some("AWS::Logs::LogGroup"))
        .and_then(|g| prop(g, "RetentionInDays"));
    if retention.is_none() {
        problems.push(format!(
            "{id}: LoggingConfig/LogGroup is not a log group of this template with RetentionInDays"
        ));
    }

    // The environment: exactly config::VARIABLES, wired to the parameters the policies use.
    let mut variables: BTreeMap<String, &Value> = BTreeMap::new();
    for source in [
        get(t, "Globals/Function/Environment/Variables"),
        prop(f, "Environment/Variables"),
    ] {
        if let Some(m) = source.and_then(Value::as_mapping) {
            for (k, v) in m {
                variables.insert(text(k).unwrap_or_default(), v);
            }
        }
    }
    let names: BTreeSet<&str> = variables.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = VARIABLES.into_iter().collect();
    if names != expected {
        problems.push(format!(
            "{id}: environment {names:?} is not exactly config::VARIABLES {expected:?} \
             (extra: {:?}, missing: {:?})",
            names.difference(&expected).collect::<Vec<_>>(),
            expected.difference(&names).collect::<Vec<_>>()
        ));
    }
    // The parameters the permissions and lifecycle rules are scoped with, and the namespace.
    for (variable, parameter) in [
        ("USER_POOL_ID", "UserPoolId"),
        ("DROP_PREFIX", "DropPrefix"),
        ("STATE_PREFIX", "StatePrefix"),
        ("REPORT_PREFIX", "ReportPrefix"),
        ("NOTIFICATION_TOPIC_ARN", "NotificationTopicArn"),
        ("SOURCE_OBJECT_POLICY", "SourceObjectPolicy"),
        ("METRICS_NAMESPACE", "MetricsNamespace"),
    ] {
        if !is_ref(variables.get(variable).copied(), parameter) {
            problems.push(format!(
                "{id}: {variable} is not !Ref {parameter}, the parameter the stack is built around"
            ));
        }
    }
    // The bucket by name, built like its BucketName: with !Ref the S3 trigger closes a cycle.
    let bucket_name = resource(t, BUCKET).and_then(|b| prop(b, "BucketName")).and_then(render);
    let drop_bucket = variables.get("DROP_BUCKET").and_then(|v| render(v));
    if drop_bucket.is_none() || drop_bucket != bucket_name {
        problems.push(format!(
            "{id}: DROP_BUCKET is {drop_bucket:?}, not the drop bucket's name built like its BucketName {bucket_name:?}"
        ));
    }
    if variables.get("S3_FORCE_PATH_STYLE").and_then(|v| text(v)).as_deref() != Some("false") {
        problems.push(format!(
            "{id}: S3_FORCE_PATH_STYLE is not 'false' (it is for local endpoints)"
        ));
    }

    // The function accepts the defaults, and every allowed value, of its parameters.
    let sample = |name: &str, v: &Value| -> Option<String> {
        match render(v)? {
            s if s.ends_with(".Arn}") => Some("arn:aws:iam::111111111111:role/CognitoImportLogs".into()),
            _ if name == "DROP_BUCKET" => concrete(v),
            _ if name == "USER_POOL_ID" => Some(
                resolved(t, v)
                    .and_then(text)
                    .unwrap_or_else(|| "us-east-1_AbC123xyZ".into()),
            ),
            _ => resolved(t, v).and_then(text),
        }
    };
    let defaults: BTreeMap<String, String> = variables
        .iter()
        .filter_map(|(name, v)| Some((name.clone(), sample(name, v)?)))
        .collect();
    if let Err(e) = Config::from_lookup(|name| defaults.get(name).cloned()) {
        problems.push(format!("{id}: the function refuses the template's defaults: {e}"));
    }
    for (name, v) in &variables {
        let Some(parameter) = single(v, "Ref").and_then(Value::as_str) else {
            continue;
        };
        let p = get(t, &format!("Parameters/{parameter}"));
        let mut values: Vec<String> = strings(p.and_then(|p| p.get("AllowedValues")));
        values.extend(
            ["MinValue", "MaxValue"]
                .iter()
                .filter_map(|k| p?.get(*k).and_then(text)),
        );
        for value in values {
            let mut env = defaults.clone();
            env.insert(name.clone(), value.clone());
            if let Err(e) = Config::from_lookup(|n| env.get(n).cloned()) {
                problems.push(format!(
                    "{id}: parameter {parameter} allows {value}, which the function refuses: {e}"
                ));
            }
        }
    }
    problems
}

/// The pass: a SAM Schedule event at rate(1 minute) on the function, enabled whatever the
/// parameters (the function and the event depend on no condition).
fn the_schedule(t: &Value) -> Problems {
    let (id, f) = match function(t) {
        Ok(found) => found,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    if let Some(c) = f.get("Condition") {
        problems.push(format!(
            "{id} is conditional ({c:?}): its schedule must exist for every TriggerKind"
        ));
    }
    let mut found = false;
    for (name, event) in prop(f, "Events").and_then(Value::as_mapping).into_iter().flatten() {
        if event.get("Type").and_then(Value::as_str) != Some("Schedule") {
            continue;
        }
        let name = text(name).unwrap_or_default();
        let schedule = get(event, "Properties/Schedule").and_then(Value::as_str);
        if schedule != Some("rate(1 minute)") {
            problems.push(format!("{id}: schedule {name} is {schedule:?}, not rate(1 minute)"));
            continue;
        }
        if has_key(event, "Fn::If") || has_key(event, "Condition") {
            problems.push(format!(
                "{id}: schedule {name} depends on a condition: it must run for every TriggerKind"
            ));
            continue;
        }
        let enabled = get(event, "Properties/Enabled").is_none_or(|v| is_true(Some(v)));
        let state = get(event, "Properties/State").and_then(text);
        if !enabled || state.as_deref().is_some_and(|s| s != "ENABLED") {
            problems.push(format!("{id}: schedule {name} is not enabled ({state:?})"));
            continue;
        }
        found = true;
    }
    if !found {
        problems.push(format!(
            "{id} has no enabled SAM Schedule event at rate(1 minute): nothing runs the pass"
        ));
    }
    problems
}

/// The triggers: S3 notification, EventBridge rule, SQS with a redrive policy.
fn the_triggers(t: &Value) -> Problems {
    let (id, f) = match function(t) {
        Ok(found) => found,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let kinds = strings(get(t, "Parameters/TriggerKind/AllowedValues"));
    let offers = |wanted: fn(&String) -> bool| kinds.iter().any(wanted);
    if !(offers(|k| k == "S3") && offers(|k| k.starts_with("EventBridge")) && offers(|k| k.contains("Sqs"))) {
        problems.push(format!(
            "TriggerKind offers {kinds:?}: S3, EventBridge and an SQS variant expected"
        ));
    }
    let function_arn = format!("${{{id}.Arn}}");
    let bucket = resource(t, BUCKET);
    let notification = |kind: &str| -> Vec<&Value> {
        items(bucket.and_then(|b| prop(b, &format!("NotificationConfiguration/{kind}"))))
    };
    let filtered = |n: &Value| {
        let rules = items(get(n, "Filter/S3Key/Rules"));
        let rule = |name: &str| {
            rules
                .iter()
                .find(|r| r.get("Name").and_then(Value::as_str) == Some(name))
                .copied()
        };
        n.get("Event").and_then(Value::as_str) == Some("s3:ObjectCreated:*")
            && is_ref(rule("prefix").and_then(|r| r.get("Value")), "DropPrefix")
            && rule("suffix").and_then(|r| r.get("Value")).and_then(Value::as_str) == Some(".csv")
    };
    let lambda = notification("LambdaConfigurations");
    if !lambda
        .iter()
        .any(|n| filtered(n) && n.get("Function").and_then(render).as_deref() == Some(&function_arn))
    {
        problems.push(format!(
            "{BUCKET} does not notify {id} of s3:ObjectCreated:* for <DropPrefix>*.csv"
        ));
    }
    for (_, permission) in of_type(t, "AWS::Lambda::Permission") {
        if prop(permission, "Principal").and_then(Value::as_str) == Some("s3.amazonaws.com")
            && (prop(permission, "SourceArn").is_none() || prop(permission, "SourceAccount").is_none())
        {
            problems.push("the S3 invoke permission lacks SourceArn or SourceAccount".into());
        }
    }
    let eventbridge_on = notification("EventBridgeConfiguration")
        .iter()
        .any(|c| is_true(c.get("EventBridgeEnabled")));
    if !eventbridge_on {
        problems.push(format!("{BUCKET} never sends its events to EventBridge"));
    }
    let rules = of_type(t, "AWS::Events::Rule");
    let matching_rule = rules.iter().any(|(_, r)| {
        let pattern = prop(r, "EventPattern");
        let key = serde_yaml::to_string(&pattern.and_then(|p| get(p, "detail/object/key"))).unwrap_or_default();
        strings(pattern.and_then(|p| p.get("source"))) == ["aws.s3"]
            && strings(pattern.and_then(|p| p.get("detail-type"))) == ["Object Created"]
            && key.contains("${DropPrefix}")
            && key.contains(".csv")
            && pattern.and_then(|p| get(p, "detail/bucket/name")).is_some()
    });
    if !matching_rule {
        problems.push("no EventBridge rule for aws.s3 'Object Created' of <DropPrefix>*.csv in the bucket".into());
    }
    let mappings = of_type(t, "AWS::Lambda::EventSourceMapping");
    let mut queue_ok = false;
    for (mapping_id, m) in &mappings {
        if !strings(prop(m, "FunctionResponseTypes")).contains(&"ReportBatchItemFailures".to_owned()) {
            problems.push(format!("{mapping_id}: no ReportBatchItemFailures"));
        }
        let queue = prop(m, "EventSourceArn")
            .and_then(|a| single(a, "Fn::GetAtt"))
            .and_then(|p| p.get(0))
            .and_then(Value::as_str);
        let Some(q) = queue.and_then(|q| resource(t, q)) else {
            problems.push(format!(
                "{mapping_id}: its EventSourceArn is not a queue of this template"
            ));
            continue;
        };
        let redrive = prop(q, "RedrivePolicy");
        if redrive.and_then(|r| r.get("deadLetterTargetArn")).is_none()
            || redrive.and_then(|r| r.get("maxReceiveCount")).is_none()
        {
            problems.push(format!(
                "{mapping_id}: its queue has no redrive policy to a dead-letter queue"
            ));
        }
        let visibility = prop(q, "VisibilityTimeout")
            .and_then(text)
            .and_then(|v| v.parse::<u64>().ok());
        let timeout = prop(f, "Timeout").and_then(text).and_then(|v| v.parse::<u64>().ok());
        if !matches!((visibility, timeout), (Some(v), Some(t)) if v >= 6 * t) {
            problems.push(format!(
                "{mapping_id}: queue visibility {visibility:?} s is under six times the function's timeout {timeout:?} s"
            ));
        }
        queue_ok = true;
    }
    if !queue_ok {
        problems.push("no SQS event source mapping for the queued trigger kinds".into());
    }
    problems
}

// ------------------------------------------------------------------------------------------------
// The tests: the real template keeps each rule, and each breach is caught
// ------------------------------------------------------------------------------------------------

fn holds(rule: fn(&Value) -> Problems, mutations: &[Mutation]) {
    let template = load();
    let problems = rule(&template);
    assert!(
        problems.is_empty(),
        "template.yaml breaks the rule:\n  - {}",
        problems.join("\n  - ")
    );
    for (what, expected, mutate) in mutations {
        let mut broken = template.clone();
        mutate(&mut broken);
        let problems = rule(&broken);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "the rule did not report {expected:?} for this breach: {what}; it reported {problems:#?}"
        );
    }
}

/// The path of the statement with this Sid in one of the role's inline policies.
fn statement_path(t: &Value, role: &str, sid: &str) -> String {
    let policies = get(t, &format!("Resources/{role}/Properties/Policies"))
        .and_then(Value::as_sequence)
        .expect("the role's Policies");
    // A policy or statement under !If: its first branch.
    let first_branch = |v: &'_ Value| match single(v, "Fn::If") {
        Some(args) => (args.get(1).cloned().unwrap_or(Value::Null), "/Fn::If/1"),
        None => (v.clone(), ""),
    };
    for (p, policy) in policies.iter().enumerate() {
        let (policy, outer) = first_branch(policy);
        let statements = get(&policy, "PolicyDocument/Statement").and_then(Value::as_sequence);
        for (s, statement) in statements.into_iter().flatten().enumerate() {
            let (body, inner) = first_branch(statement);
            if body.get("Sid").and_then(Value::as_str) == Some(sid) {
                return format!("Resources/{role}/Properties/Policies/{p}{outer}/PolicyDocument/Statement/{s}{inner}");
            }
        }
    }
    panic!("no statement {sid} in {role} (a mutation needs updating)")
}

fn function_statement(t: &Value, sid: &str) -> String {
    statement_path(t, "ImportFunctionRole", sid)
}

/// The path of the innermost `Fn::If` a path goes through (a conditional statement or policy).
fn enclosing_if(path: &str) -> String {
    let at = path
        .rfind("/Fn::If/")
        .unwrap_or_else(|| panic!("{path} is under no !If"));
    path[..at].to_owned()
}

/// Replaces the `Fn::If` at `path` by its first branch: no longer conditional.
fn unconditional(t: &mut Value, path: &str) {
    let body = get(t, &format!("{path}/Fn::If/1")).expect("a first branch").clone();
    set(t, path, body);
}

/// Swaps the branches of the `Fn::If` at `path`.
fn turn_around(t: &mut Value, path: &str) {
    let Value::Sequence(args) = get_mut(t, &format!("{path}/Fn::If")) else {
        panic!("{path} is not an !If")
    };
    args.swap(1, 2);
}

/// Puts the value at `path` under `!If [condition, value, !Ref AWS::NoValue]`.
fn make_conditional(t: &mut Value, path: &str, condition: &str) {
    let value = get(t, path).expect("a value").clone();
    let mut wrapped = yaml(&format!("!If [{condition}, x, !Ref AWS::NoValue]"));
    *get_mut(&mut wrapped, "Fn::If/1") = value;
    set(t, path, wrapped);
}

/// The path of the drop bucket's lifecycle rule with this Id.
fn lifecycle_rule(t: &Value, id: &str) -> String {
    let path = "Resources/DropBucket/Properties/LifecycleConfiguration/Rules";
    let rules = get(t, path)
        .and_then(Value::as_sequence)
        .expect("the bucket's lifecycle rules");
    let i = rules
        .iter()
        .position(|r| r.get("Id").and_then(Value::as_str) == Some(id))
        .unwrap_or_else(|| panic!("no lifecycle rule {id} (a mutation needs updating)"));
    format!("{path}/{i}")
}

#[test]
fn function_policies_name_their_s3_and_cognito_resources() {
    holds(
        function_s3_and_cognito_permissions,
        &[
            ("an s3: statement on Resource *", "Resource \"*\"", |t| {
                let p = function_statement(t, "ReadDroppedFiles");
                set(t, &format!("{p}/Resource"), Value::from("*"));
            }),
            ("an s3: statement on every bucket", "is not in the drop bucket", |t| {
                let p = function_statement(t, "ReadDroppedFiles");
                set(
                    t,
                    &format!("{p}/Resource"),
                    yaml("!Sub 'arn:${AWS::Partition}:s3:::*/${DropPrefix}*'"),
                );
            }),
            (
                "an s3: statement on every object of the bucket",
                "is not under one of the three prefixes",
                |t| {
                    let p = function_statement(t, "ReadStateRecords");
                    let arn =
                        "!Sub 'arn:${AWS::Partition}:s3:::${AWS::StackName}-drop-${AWS::AccountId}-${AWS::Region}/*'";
                    set(t, &format!("{p}/Resource"), yaml(arn));
                },
            ),
            (
                "an s3: statement naming the bucket by !GetAtt (a circular dependency)",
                "circular dependency",
                |t| {
                    let p = function_statement(t, "ReadDroppedFiles");
                    set(
                        t,
                        &format!("{p}/Resource"),
                        yaml("!Sub '${DropBucket.Arn}/${DropPrefix}*'"),
                    );
                },
            ),
            (
                "PutObject under the drop prefix",
                "outside the state and report prefixes",
                |t| {
                    let p = function_statement(t, "ReadDroppedFiles");
                    set(t, &format!("{p}/Action"), yaml("[s3:GetObject, s3:PutObject]"));
                },
            ),
            (
                "ListBucket without an s3:prefix condition",
                "without an s3:prefix condition",
                |t| {
                    let p = function_statement(t, "TellMissingKeysApart");
                    remove(t, &format!("{p}/Condition"));
                },
            ),
            ("a wildcard s3: action", "wildcard action s3:*", |t| {
                let p = function_statement(t, "ReadStateRecords");
                set(t, &format!("{p}/Action"), Value::from("s3:*"));
            }),
            (
                "no way to write the state records",
                "cannot write its state records",
                |t| {
                    let p = function_statement(t, "WriteStateRecordsAndReports");
                    set(t, &format!("{p}/Action"), Value::from("s3:GetObject"));
                },
            ),
            ("cognito-idp: on every pool", "is not the user pool's ARN", |t| {
                let p = function_statement(t, "ImportIntoThePool");
                let arn = "!Sub 'arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*'";
                set(t, &format!("{p}/Resource"), yaml(arn));
            }),
            ("cognito-idp: on Resource *", "Resource \"*\"", |t| {
                let p = function_statement(t, "ImportIntoThePool");
                set(t, &format!("{p}/Resource"), Value::from("*"));
            }),
            (
                "a Cognito call the function does not make",
                "not exactly the calls the function makes",
                |t| {
                    let p = function_statement(t, "ImportIntoThePool");
                    let Value::Sequence(actions) = get_mut(t, &format!("{p}/Action")) else {
                        panic!("a list")
                    };
                    actions.push(Value::from("cognito-idp:AdminCreateUser"));
                },
            ),
            (
                "a Cognito call the function makes, missing",
                "not exactly the calls the function makes",
                |t| {
                    let p = function_statement(t, "ImportIntoThePool");
                    remove(t, &format!("{p}/Action/0"));
                },
            ),
            ("a managed policy on the function's role", "managed policy", |t| {
                set(
                    t,
                    "Resources/ImportFunctionRole/Properties/ManagedPolicyArns",
                    yaml("[arn:aws:iam::aws:policy/AmazonS3FullAccess]"),
                );
            }),
            (
                "an action of another service",
                "of a service the function has no use for",
                |t| {
                    let p = function_statement(t, "SendFailedEvents");
                    set(t, &format!("{p}/Action"), Value::from("dynamodb:PutItem"));
                },
            ),
        ],
    );
}

#[test]
fn function_passes_only_the_logs_role_and_only_to_cognito() {
    holds(
        function_pass_role,
        &[
            ("PassRole on *", "not just the logs role", |t| {
                let p = function_statement(t, "PassTheLogsRoleToCognito");
                set(t, &format!("{p}/Resource"), Value::from("*"));
            }),
            ("PassRole on the function's own role", "not just the logs role", |t| {
                let p = function_statement(t, "PassTheLogsRoleToCognito");
                set(t, &format!("{p}/Resource"), yaml("!GetAtt ImportFunctionRole.Arn"));
            }),
            (
                "PassRole without the PassedToService condition",
                "iam:PassedToService condition",
                |t| {
                    let p = function_statement(t, "PassTheLogsRoleToCognito");
                    remove(t, &format!("{p}/Condition"));
                },
            ),
            ("PassRole to another service", "iam:PassedToService condition", |t| {
                let p = function_statement(t, "PassTheLogsRoleToCognito");
                set(
                    t,
                    &format!("{p}/Condition/StringEquals/iam:PassedToService"),
                    Value::from("lambda.amazonaws.com"),
                );
            }),
            ("no PassRole at all", "may not pass the logs role", |t| {
                let p = function_statement(t, "PassTheLogsRoleToCognito");
                set(t, &format!("{p}/Action"), Value::from("sqs:SendMessage"));
            }),
        ],
    );
}

#[test]
fn cognito_logs_role_is_trusted_by_cognito_and_scoped_to_its_log_groups() {
    holds(
        cognito_logs_role,
        &[
            ("trusted by another service as well", "trust statement", |t| {
                set(
                    t,
                    "Resources/CognitoLogsRole/Properties/AssumeRolePolicyDocument/Statement/0/Principal/Service",
                    yaml("[cognito-idp.amazonaws.com, lambda.amazonaws.com]"),
                );
            }),
            ("trusted by an account", "trust statement", |t| {
                set(
                    t,
                    "Resources/CognitoLogsRole/Properties/AssumeRolePolicyDocument/Statement/0/Principal/AWS",
                    Value::from("arn:aws:iam::222222222222:root"),
                );
            }),
            (
                "not trusted by Cognito",
                "expected one role trusted by cognito-idp.amazonaws.com",
                |t| {
                    set(
                        t,
                        "Resources/CognitoLogsRole/Properties/AssumeRolePolicyDocument/Statement/0/Principal/Service",
                        Value::from("lambda.amazonaws.com"),
                    );
                },
            ),
            ("writing every log group", "is not a /aws/cognito/* log group", |t| {
                let p = statement_path(t, "CognitoLogsRole", "WriteImportJobLogs");
                let arn = "!Sub 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*'";
                set(t, &format!("{p}/Resource"), yaml(arn));
            }),
            ("on Resource *", "is not a /aws/cognito/* log group", |t| {
                let p = statement_path(t, "CognitoLogsRole", "WriteImportJobLogs");
                set(t, &format!("{p}/Resource"), Value::from("*"));
            }),
            ("an extra logs: action", "not exactly", |t| {
                let p = statement_path(t, "CognitoLogsRole", "WriteImportJobLogs");
                let Value::Sequence(actions) = get_mut(t, &format!("{p}/Action")) else {
                    panic!("a list")
                };
                actions.push(Value::from("logs:DeleteLogGroup"));
            }),
            ("a logs: action missing", "not exactly", |t| {
                let p = statement_path(t, "CognitoLogsRole", "WriteImportJobLogs");
                remove(t, &format!("{p}/Action/2"));
            }),
            ("the function told another role", "CLOUDWATCH_LOGS_ROLE_ARN", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Properties/Environment/Variables/CLOUDWATCH_LOGS_ROLE_ARN",
                    yaml("!GetAtt ImportFunctionRole.Arn"),
                );
            }),
        ],
    );
}

#[test]
fn drop_bucket_is_private_encrypted_tls_only_versioned_and_expires_its_objects() {
    holds(
        drop_bucket,
        &[
            ("public ACLs allowed", "BlockPublicAcls is not true", |t| {
                set(
                    t,
                    "Resources/DropBucket/Properties/PublicAccessBlockConfiguration/BlockPublicAcls",
                    Value::from(false),
                );
            }),
            ("no public access block", "RestrictPublicBuckets is not true", |t| {
                remove(t, "Resources/DropBucket/Properties/PublicAccessBlockConfiguration");
            }),
            ("no encryption", "no default encryption", |t| {
                remove(t, "Resources/DropBucket/Properties/BucketEncryption")
            }),
            ("versioning suspended", "versioning is not Enabled", |t| {
                set(
                    t,
                    "Resources/DropBucket/Properties/VersioningConfiguration/Status",
                    Value::from("Suspended"),
                );
            }),
            ("no TLS-only policy", "aws:SecureTransport", |t| {
                remove(t, "Resources/DropBucketPolicy")
            }),
            ("the TLS statement turned around", "aws:SecureTransport", |t| {
                set(
                    t,
                    "Resources/DropBucketPolicy/Properties/PolicyDocument/Statement/0/Condition/Bool/aws:SecureTransport",
                    Value::from("true"),
                );
            }),
            ("the TLS statement only on the objects", "aws:SecureTransport", |t| {
                remove(
                    t,
                    "Resources/DropBucketPolicy/Properties/PolicyDocument/Statement/0/Resource/0",
                );
            }),
            ("no lifecycle rule for dropped files", "under DropPrefix", |t| {
                let p = lifecycle_rule(t, "expire-dropped-files");
                remove(t, &p);
            }),
            ("dropped files' old versions kept forever", "under DropPrefix", |t| {
                let p = lifecycle_rule(t, "expire-dropped-files");
                remove(t, &format!("{p}/NoncurrentVersionExpiration"));
            }),
            ("dropped files expired only when tagged", "under DropPrefix", |t| {
                let p = lifecycle_rule(t, "expire-dropped-files");
                set(
                    t,
                    &format!("{p}/TagFilters"),
                    yaml("[{Key: cognito-import-outcome, Value: Failed}]"),
                );
            }),
            ("no lifecycle rule for state records", "under StatePrefix", |t| {
                let p = lifecycle_rule(t, "expire-state-records");
                remove(t, &p);
            }),
            ("no lifecycle rule for reports", "under ReportPrefix", |t| {
                let p = lifecycle_rule(t, "expire-reports");
                remove(t, &p);
            }),
            (
                "the report rule narrowed to some reports (the per-line CSVs kept forever)",
                "under ReportPrefix",
                |t| {
                    let p = lifecycle_rule(t, "expire-reports");
                    set(t, &format!("{p}/TagFilters"), yaml("[{Key: kind, Value: summary}]"));
                },
            ),
            ("the report rule only for large objects", "under ReportPrefix", |t| {
                let p = lifecycle_rule(t, "expire-reports");
                set(t, &format!("{p}/ObjectSizeGreaterThan"), Value::from(1_000_000));
            }),
            (
                "no early expiration of Succeeded files",
                "tagged cognito-import-outcome=Succeeded",
                |t| {
                    let p = lifecycle_rule(t, "expire-imported-files");
                    remove(t, &p);
                },
            ),
            (
                "the early expiration for Failed files instead",
                "tagged cognito-import-outcome=Succeeded",
                |t| {
                    let p = lifecycle_rule(t, "expire-imported-files");
                    set(t, &format!("{p}/TagFilters/0/Value"), Value::from("Failed"));
                },
            ),
            (
                "the early expiration disabled",
                "tagged cognito-import-outcome=Succeeded",
                |t| {
                    let p = lifecycle_rule(t, "expire-imported-files");
                    set(t, &format!("{p}/Status"), Value::from("Disabled"));
                },
            ),
            (
                "the early expiration enabled only when sources are not tagged",
                "under SourceObjectPolicy tag, no enabled lifecycle rule",
                |t| {
                    let p = lifecycle_rule(t, "expire-imported-files");
                    set(t, &format!("{p}/Status"), yaml("!If [TagsSources, Disabled, Enabled]"));
                },
            ),
            (
                "the early expiration only under the delete policy",
                "under SourceObjectPolicy tag, no enabled lifecycle rule",
                |t| {
                    let p = lifecycle_rule(t, "expire-imported-files");
                    make_conditional(t, &p, "DeletesSources");
                },
            ),
            (
                "the early expiration on the state prefix",
                "tagged cognito-import-outcome=Succeeded",
                |t| {
                    let p = lifecycle_rule(t, "expire-imported-files");
                    set(t, &format!("{p}/Prefix"), yaml("!Ref StatePrefix"));
                },
            ),
            (
                "the early expiration after the general one's days",
                "tagged cognito-import-outcome=Succeeded",
                |t| {
                    let p = lifecycle_rule(t, "expire-imported-files");
                    set(
                        t,
                        &format!("{p}/ExpirationInDays"),
                        yaml("!Ref ProcessedCsvExpirationDays"),
                    );
                },
            ),
            (
                "Succeeded files' old versions kept as long as any",
                "tagged cognito-import-outcome=Succeeded",
                |t| {
                    let p = lifecycle_rule(t, "expire-imported-files");
                    remove(t, &format!("{p}/NoncurrentVersionExpiration"));
                },
            ),
            (
                "an early expiration no shorter than the general one",
                "is not shorter than ProcessedCsvExpirationDays",
                |t| set(t, "Parameters/SucceededCsvExpirationDays/Default", Value::from(7)),
            ),
            ("a name taken from another resource", "refers to ImportFunction", |t| {
                set(
                    t,
                    "Resources/DropBucket/Properties/BucketName",
                    yaml("!Sub '${ImportFunction}-drop'"),
                );
            }),
            (
                "a name with uppercase letters",
                "characters a bucket name cannot have",
                |t| {
                    set(
                        t,
                        "Resources/DropBucket/Properties/BucketName",
                        yaml("!Sub '${AWS::StackName}-Drop'"),
                    );
                },
            ),
            ("no name", "no BucketName", |t| {
                remove(t, "Resources/DropBucket/Properties/BucketName")
            }),
        ],
    );
}

#[test]
fn function_is_built_run_and_configured_as_the_issue_says() {
    holds(
        the_function,
        &[
            ("another runtime", "Runtime", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Properties/Runtime",
                    Value::from("provided.al2"),
                );
            }),
            ("x86_64", "Architectures", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Properties/Architectures/0",
                    Value::from("x86_64"),
                );
            }),
            ("another binary", "BuildProperties/Binary", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Metadata/BuildProperties/Binary",
                    Value::from("cognito-import"),
                );
            }),
            ("a binary that does not exist", "has no source", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Metadata/BuildProperties/Binary",
                    Value::from("nope"),
                );
            }),
            ("another build method", "BuildMethod", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Metadata/BuildMethod",
                    Value::from("makefile"),
                );
            }),
            ("more memory by default", "MemorySize", |t| {
                set(t, "Parameters/FunctionMemoryMB/Default", Value::from(256))
            }),
            ("a shorter timeout", "Timeout", |t| {
                set(t, "Resources/ImportFunction/Properties/Timeout", Value::from(60))
            }),
            ("no on-failure destination", "neither an on-failure destination", |t| {
                remove(t, "Resources/ImportFunction/Properties/EventInvokeConfig")
            }),
            ("no log group", "LoggingConfig/LogGroup", |t| {
                remove(t, "Resources/ImportFunction/Properties/LoggingConfig")
            }),
            ("a log group kept forever", "RetentionInDays", |t| {
                remove(t, "Resources/ImportFunctionLogGroup/Properties/RetentionInDays");
            }),
            ("RUST_LOG added", "extra: [\"RUST_LOG\"]", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Properties/Environment/Variables/RUST_LOG",
                    Value::from("debug"),
                );
            }),
            ("RUST_LOG added through Globals", "extra: [\"RUST_LOG\"]", |t| {
                let globals = yaml("{Function: {Environment: {Variables: {RUST_LOG: debug}}}}");
                t.as_mapping_mut()
                    .expect("a mapping")
                    .insert(Value::from("Globals"), globals);
            }),
            ("UPLOAD_ATTEMPTS missing", "missing: [\"UPLOAD_ATTEMPTS\"]", |t| {
                remove(
                    t,
                    "Resources/ImportFunction/Properties/Environment/Variables/UPLOAD_ATTEMPTS",
                );
            }),
            (
                "DROP_PREFIX from another parameter than the policies use",
                "DROP_PREFIX is not !Ref DropPrefix",
                |t| {
                    set(
                        t,
                        "Resources/ImportFunction/Properties/Environment/Variables/DROP_PREFIX",
                        yaml("!Ref StatePrefix"),
                    );
                },
            ),
            (
                "DROP_BUCKET by !Ref (a circular dependency with the S3 trigger)",
                "not the drop bucket's name",
                |t| {
                    set(
                        t,
                        "Resources/ImportFunction/Properties/Environment/Variables/DROP_BUCKET",
                        yaml("!Ref DropBucket"),
                    );
                },
            ),
            ("DROP_BUCKET another bucket", "not the drop bucket's name", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Properties/Environment/Variables/DROP_BUCKET",
                    yaml("!Sub '${AWS::StackName}-other-${AWS::AccountId}'"),
                );
            }),
            (
                "SOURCE_OBJECT_POLICY fixed, whatever the permissions follow",
                "SOURCE_OBJECT_POLICY is not !Ref SourceObjectPolicy",
                |t| {
                    set(
                        t,
                        "Resources/ImportFunction/Properties/Environment/Variables/SOURCE_OBJECT_POLICY",
                        Value::from("delete"),
                    );
                },
            ),
            (
                "NOTIFICATION_TOPIC_ARN from another parameter",
                "NOTIFICATION_TOPIC_ARN is not !Ref NotificationTopicArn",
                |t| {
                    set(
                        t,
                        "Resources/ImportFunction/Properties/Environment/Variables/NOTIFICATION_TOPIC_ARN",
                        yaml("!Ref MetricsNamespace"),
                    );
                },
            ),
            ("METRICS_NAMESPACE missing", "missing: [\"METRICS_NAMESPACE\"]", |t| {
                remove(
                    t,
                    "Resources/ImportFunction/Properties/Environment/Variables/METRICS_NAMESPACE",
                );
            }),
            (
                "a source object policy the function does not know",
                "allows archive, which the function refuses",
                |t| {
                    let Value::Sequence(values) = get_mut(t, "Parameters/SourceObjectPolicy/AllowedValues") else {
                        panic!("a list")
                    };
                    values.push(Value::from("archive"));
                },
            ),
            ("path-style S3 in AWS", "S3_FORCE_PATH_STYLE", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Properties/Environment/Variables/S3_FORCE_PATH_STYLE",
                    Value::from("true"),
                );
            }),
            (
                "a default the function refuses",
                "refuses the template's defaults",
                |t| set(t, "Parameters/DropPrefix/Default", Value::from("incoming")),
            ),
            (
                "a limit the function refuses",
                "allows 50, which the function refuses",
                |t| set(t, "Parameters/UploadAttempts/MaxValue", Value::from(50)),
            ),
            (
                "an allowed value the function refuses",
                "allows maybe, which the function refuses",
                |t| {
                    let Value::Sequence(values) = get_mut(t, "Parameters/RequireFullHeader/AllowedValues") else {
                        panic!("a list")
                    };
                    values.push(Value::from("maybe"));
                },
            ),
        ],
    );
}

#[test]
fn triggers_cover_s3_eventbridge_and_sqs() {
    holds(
        the_triggers,
        &[
            ("no suffix filter on the S3 notification", "does not notify", |t| {
                let path = "Resources/DropBucket/Properties/NotificationConfiguration/LambdaConfigurations/Fn::If/1/0/Filter/S3Key/Rules/1";
                remove(t, path);
            }),
            ("the S3 notification for another prefix", "does not notify", |t| {
                let path = "Resources/DropBucket/Properties/NotificationConfiguration/LambdaConfigurations/Fn::If/1/0/Filter/S3Key/Rules/0/Value";
                set(t, path, yaml("!Ref StatePrefix"));
            }),
            ("the S3 permission without SourceArn", "lacks SourceArn", |t| {
                remove(t, "Resources/S3InvokePermission/Properties/SourceArn");
            }),
            ("EventBridge never on", "never sends its events to EventBridge", |t| {
                remove(
                    t,
                    "Resources/DropBucket/Properties/NotificationConfiguration/EventBridgeConfiguration",
                );
            }),
            ("no EventBridge rule", "no EventBridge rule", |t| {
                remove(t, "Resources/DropRule")
            }),
            ("the rule for deleted objects", "no EventBridge rule", |t| {
                set(
                    t,
                    "Resources/DropRule/Properties/EventPattern/detail-type/0",
                    Value::from("Object Deleted"),
                );
            }),
            ("no ReportBatchItemFailures", "no ReportBatchItemFailures", |t| {
                remove(t, "Resources/DropQueueMapping/Properties/FunctionResponseTypes");
            }),
            ("no redrive policy", "no redrive policy", |t| {
                remove(t, "Resources/DropQueue/Properties/RedrivePolicy")
            }),
            (
                "a visibility timeout shorter than six function timeouts",
                "under six times",
                |t| {
                    set(t, "Resources/DropQueue/Properties/VisibilityTimeout", Value::from(300));
                },
            ),
            ("no queue at all", "no SQS event source mapping", |t| {
                remove(t, "Resources/DropQueueMapping")
            }),
        ],
    );
}

#[test]
fn function_lists_only_under_its_prefixes_and_the_state_records_on_their_own() {
    holds(
        function_lists_only_state_records,
        &[
            (
                "the state listing for every key",
                "outside the drop and state prefixes",
                |t| {
                    let p = function_statement(t, "ListStateRecords");
                    set(t, &format!("{p}/Condition/StringLike/s3:prefix"), Value::from("*"));
                },
            ),
            (
                "the state listing under the report prefix",
                "outside the drop and state prefixes",
                |t| {
                    let p = function_statement(t, "ListStateRecords");
                    set(
                        t,
                        &format!("{p}/Condition/StringLike/s3:prefix"),
                        yaml("!Sub '${ReportPrefix}*'"),
                    );
                },
            ),
            (
                "the 404 grant opened to another prefix",
                "outside the drop and state prefixes",
                |t| {
                    let p = function_statement(t, "TellMissingKeysApart");
                    let Value::Sequence(prefixes) = get_mut(t, &format!("{p}/Condition/StringLikeIfExists/s3:prefix"))
                    else {
                        panic!("a list")
                    };
                    prefixes.push(yaml("!Sub '${ReportPrefix}*'"));
                },
            ),
            (
                "the state listing without a condition",
                "without an s3:prefix condition",
                |t| {
                    let p = function_statement(t, "ListStateRecords");
                    remove(t, &format!("{p}/Condition"));
                },
            ),
            ("the state listing by IfExists", "cannot list the state records", |t| {
                let p = function_statement(t, "ListStateRecords");
                set(
                    t,
                    &format!("{p}/Condition"),
                    yaml("{StringLikeIfExists: {s3:prefix: !Sub '${StatePrefix}*'}}"),
                );
            }),
            ("no state listing", "cannot list the state records", |t| {
                let p = function_statement(t, "ListStateRecords");
                remove(t, &p);
            }),
            (
                "the state listing only with the SQS triggers",
                "cannot list the state records",
                |t| {
                    let p = function_statement(t, "ListStateRecords");
                    make_conditional(t, &p, "UseQueue");
                },
            ),
        ],
    );
}

#[test]
fn function_tags_and_deletes_dropped_files_only_under_the_policy_that_says_so() {
    holds(
        function_changes_sources_only_as_the_policy_says,
        &[
            (
                "tagging whatever the policy",
                "under SourceObjectPolicy keep the function gets",
                |t| {
                    let p = enclosing_if(&function_statement(t, "TagDroppedFiles"));
                    unconditional(t, &p);
                },
            ),
            (
                "deleting whatever the policy",
                "under SourceObjectPolicy tag the function gets",
                |t| {
                    let p = enclosing_if(&function_statement(t, "DeleteImportedFiles"));
                    unconditional(t, &p);
                },
            ),
            (
                "deleting under the tag policy too",
                "under SourceObjectPolicy tag the function gets",
                |t| {
                    let p = enclosing_if(&function_statement(t, "DeleteImportedFiles"));
                    set(t, &format!("{p}/Fn::If/0"), Value::from("TagsSources"));
                },
            ),
            (
                "the tagging condition turned around",
                "under SourceObjectPolicy tag the function cannot",
                |t| {
                    let p = enclosing_if(&function_statement(t, "TagDroppedFiles"));
                    turn_around(t, &p);
                },
            ),
            (
                "TagsSources without the delete policy (which tags the files it keeps)",
                "under SourceObjectPolicy delete the function cannot s3:putobjecttagging",
                |t| {
                    set(
                        t,
                        "Conditions/TagsSources",
                        yaml("!Equals [!Ref SourceObjectPolicy, tag]"),
                    )
                },
            ),
            (
                "deleting under a condition of something else",
                "under SourceObjectPolicy delete the function cannot",
                |t| {
                    let p = enclosing_if(&function_statement(t, "DeleteImportedFiles"));
                    set(t, &format!("{p}/Fn::If/0"), Value::from("HasTopic"));
                },
            ),
            (
                "only the current version tagged",
                "cannot s3:putobjectversiontagging",
                |t| {
                    let p = function_statement(t, "TagDroppedFiles");
                    remove(t, &format!("{p}/Action/3"));
                },
            ),
            (
                "the version's tags not readable",
                "cannot s3:getobjectversiontagging",
                |t| {
                    let p = function_statement(t, "TagDroppedFiles");
                    remove(t, &format!("{p}/Action/1"));
                },
            ),
            (
                "reading tags whatever the policy",
                "under SourceObjectPolicy keep the function gets s3:getobjecttagging",
                |t| {
                    let p = function_statement(t, "ReadDroppedFiles");
                    let Value::Sequence(actions) = get_mut(t, &format!("{p}/Action")) else {
                        panic!("a list")
                    };
                    actions.push(Value::from("s3:GetObjectTagging"));
                },
            ),
            (
                "tagging every object of the bucket",
                "not only the dropped files",
                |t| {
                    let p = function_statement(t, "TagDroppedFiles");
                    let arn =
                        "!Sub 'arn:${AWS::Partition}:s3:::${AWS::StackName}-drop-${AWS::AccountId}-${AWS::Region}/*'";
                    set(t, &format!("{p}/Resource"), yaml(arn));
                },
            ),
            ("deleting reports", "not only the dropped files", |t| {
                let p = function_statement(t, "DeleteImportedFiles");
                let arn = "!Sub 'arn:${AWS::Partition}:s3:::${AWS::StackName}-drop-${AWS::AccountId}-${AWS::Region}/${ReportPrefix}*'";
                set(t, &format!("{p}/Resource"), yaml(arn));
            }),
            ("deleting any state record", "not only the dropped files", |t| {
                let p = function_statement(t, "ReleaseThePassLock");
                let arn = "!Sub 'arn:${AWS::Partition}:s3:::${AWS::StackName}-drop-${AWS::AccountId}-${AWS::Region}/${StatePrefix}*'";
                set(t, &format!("{p}/Resource"), yaml(arn));
            }),
            (
                "deleting versions of state records",
                "not only the dropped files",
                |t| {
                    let p = function_statement(t, "ReleaseThePassLock");
                    set(
                        t,
                        &format!("{p}/Action"),
                        yaml("[s3:DeleteObject, s3:DeleteObjectVersion]"),
                    );
                },
            ),
            ("a fourth policy", "not exactly [keep, tag, delete]", |t| {
                let Value::Sequence(values) = get_mut(t, "Parameters/SourceObjectPolicy/AllowedValues") else {
                    panic!("a list")
                };
                values.push(Value::from("archive"));
            }),
        ],
    );
}

#[test]
fn function_reads_the_job_logs_of_its_pool_only() {
    holds(
        function_reads_only_the_pools_job_logs,
        &[
            ("job logs on Resource *", "not only the pool's log groups", |t| {
                let p = function_statement(t, "ReadImportJobLogs");
                set(t, &format!("{p}/Resource"), Value::from("*"));
            }),
            ("every log group", "not only the pool's log groups", |t| {
                let p = function_statement(t, "ReadImportJobLogs");
                let arn = "!Sub 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*'";
                set(t, &format!("{p}/Resource"), yaml(arn));
            }),
            ("every Cognito log group", "not only the pool's log groups", |t| {
                let p = function_statement(t, "ReadImportJobLogs");
                let arn = "!Sub 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/cognito/*'";
                set(t, &format!("{p}/Resource"), yaml(arn));
            }),
            ("every pool's log groups", "not only the pool's log groups", |t| {
                let p = function_statement(t, "ReadImportJobLogs");
                let arn = "!Sub 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/cognito/userpools/*'";
                set(t, &format!("{p}/Resource"), yaml(arn));
            }),
            (
                "the groups of pools whose id starts with this one's",
                "not only the pool's log groups",
                |t| {
                    let p = function_statement(t, "ReadImportJobLogs");
                    let arn = "!Sub 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/cognito/userpools/${UserPoolId}*'";
                    set(t, &format!("{p}/Resource"), yaml(arn));
                },
            ),
            ("the Lambda log groups as well", "not only the pool's log groups", |t| {
                let p = function_statement(t, "ReadImportJobLogs");
                let pool = get(t, &format!("{p}/Resource")).expect("a resource").clone();
                let lambda =
                    yaml("!Sub 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/*'");
                set(t, &format!("{p}/Resource"), Value::Sequence(vec![pool, lambda]));
            }),
            (
                "an extra logs: action",
                "a logs: action the function has no use for",
                |t| {
                    let p = function_statement(t, "ReadImportJobLogs");
                    let Value::Sequence(actions) = get_mut(t, &format!("{p}/Action")) else {
                        panic!("a list")
                    };
                    actions.push(Value::from("logs:DeleteLogStream"));
                },
            ),
            ("GetLogEvents missing", "cannot read the import jobs' logs", |t| {
                let p = function_statement(t, "ReadImportJobLogs");
                remove(t, &format!("{p}/Action/0"));
            }),
            ("no job logs at all", "cannot read the import jobs' logs", |t| {
                let p = function_statement(t, "ReadImportJobLogs");
                remove(t, &p);
            }),
            (
                "the function's own log written anywhere",
                "not the function's own log group",
                |t| {
                    let p = function_statement(t, "WriteTheFunctionLog");
                    set(t, &format!("{p}/Resource"), Value::from("*"));
                },
            ),
        ],
    );
}

#[test]
fn function_publishes_only_to_the_topic_and_only_when_there_is_one() {
    holds(
        function_publishes_only_to_the_topic,
        &[
            ("Publish on Resource *", "not just the topic", |t| {
                let p = function_statement(t, "PublishImportSummaries");
                set(t, &format!("{p}/Resource"), Value::from("*"));
            }),
            ("Publish on every topic of the account", "not just the topic", |t| {
                let p = function_statement(t, "PublishImportSummaries");
                set(
                    t,
                    &format!("{p}/Resource"),
                    yaml("!Sub 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:*'"),
                );
            }),
            (
                "Publish without the condition",
                "it must be conditional on the topic",
                |t| {
                    let p = enclosing_if(&function_statement(t, "PublishImportSummaries"));
                    unconditional(t, &p);
                },
            ),
            (
                "the condition turned around",
                "it must be conditional on the topic",
                |t| {
                    let p = enclosing_if(&function_statement(t, "PublishImportSummaries"));
                    turn_around(t, &p);
                },
            ),
            (
                "HasTopic that always holds",
                "it must be conditional on the topic",
                |t| {
                    set(
                        t,
                        "Conditions/HasTopic",
                        yaml("!Equals [!Ref NotificationTopicArn, !Ref NotificationTopicArn]"),
                    );
                },
            ),
            ("HasTopic that never holds", "cannot publish to it", |t| {
                set(
                    t,
                    "Conditions/HasTopic",
                    yaml("!Equals [!Ref NotificationTopicArn, '']"),
                );
            }),
            ("a topic by default", "default is not empty", |t| {
                set(t, "Parameters/NotificationTopicArn/Default", Value::from(SAMPLE_TOPIC));
            }),
            ("another sns: action", "not sns:Publish alone", |t| {
                let p = function_statement(t, "PublishImportSummaries");
                set(t, &format!("{p}/Action"), yaml("[sns:Publish, sns:Subscribe]"));
            }),
            ("no Publish at all", "cannot publish to it", |t| {
                let p = enclosing_if(&function_statement(t, "PublishImportSummaries"));
                remove(t, &p);
            }),
        ],
    );
}

#[test]
fn the_pass_runs_every_minute_for_every_trigger_kind() {
    holds(
        the_schedule,
        &[
            ("no schedule", "nothing runs the pass", |t| {
                remove(t, "Resources/ImportFunction/Properties/Events/Pass")
            }),
            ("every five minutes", "not rate(1 minute)", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Properties/Events/Pass/Properties/Schedule",
                    Value::from("rate(5 minutes)"),
                );
            }),
            ("disabled", "is not enabled", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Properties/Events/Pass/Properties/State",
                    Value::from("DISABLED"),
                );
            }),
            ("Enabled: false", "is not enabled", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Properties/Events/Pass/Properties/Enabled",
                    Value::from(false),
                );
            }),
            ("only with the SQS triggers", "depends on a condition", |t| {
                set(
                    t,
                    "Resources/ImportFunction/Properties/Events/Pass/Properties/State",
                    yaml("!If [UseQueue, ENABLED, DISABLED]"),
                );
            }),
            ("the function itself conditional", "is conditional", |t| {
                set(t, "Resources/ImportFunction/Condition", Value::from("UseQueue"));
            }),
            (
                "an EventBridge Scheduler schedule instead",
                "nothing runs the pass",
                |t| {
                    set(
                        t,
                        "Resources/ImportFunction/Properties/Events/Pass/Type",
                        Value::from("ScheduleV2"),
                    );
                },
            ),
        ],
    );
}
