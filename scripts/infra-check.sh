#!/usr/bin/env bash
# The AWS SAM stack, checked offline: cfn-lint, sam validate (with and without --lint), checkov
# for each trigger kind, then `sam build` of the function for arm64 and a look at the built
# bootstrap (an AArch64 ELF executable, without the emulator in it). Installs its pinned tools
# into .venv-infra/ (two venvs: aws-sam-cli and checkov cannot share one) and cfn-guard into .tools/
# (cargo install, about 2 minutes the first time). Needs no AWS account.
#
#   bash scripts/infra-check.sh                      # everything; a cold sam build takes ~5+ min
#   INFRA_SKIP_BUILD=1 bash scripts/infra-check.sh   # the template checks only (seconds)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Pinned so that every machine runs the same tools; all install from PyPI on Python 3.11.
SAM_CLI_VERSION=1.170.0
CFN_LINT_VERSION=1.58.0
CARGO_LAMBDA_VERSION=1.9.2
ZIGLANG_VERSION=0.17.1
CHECKOV_VERSION=3.3.30
# Built from crates.io with cargo (no prebuilt binary is fetched), into .tools/bin.
CFN_GUARD_VERSION=3.2.1
TOOLS=.tools
VENV=.venv-infra
TEMPLATE=template.yaml
# The function's logical id in the template, and so its directory under .aws-sam/build.
FUNCTION=ImportFunction
TRIGGER_KINDS=(S3 S3Sqs EventBridge EventBridgeSqs)

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 DEBIAN_FRONTEND=noninteractive
export SAM_CLI_TELEMETRY=0
# Plain `sam validate` needs a region; no credentials are used by any step.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_EC2_METADATA_DISABLED=true

say() { echo "infra-check: $*"; }
started=$SECONDS
step_started=$SECONDS
step() {
    say "($((SECONDS - step_started)) s) done"
    step_started=$SECONDS
    echo "== infra: $*"
}

# shellcheck source=scripts/apt.sh
source scripts/apt.sh # the working directory is the repository root

command -v python3 >/dev/null || apt_install python3 python3-venv

# ensure_venv DIR REQUIREMENT...: DIR holds exactly these versions (made anew if its Python broke).
ensure_venv() {
    local dir=$1
    shift
    if ! "$dir/bin/python" -c 'import pip' >/dev/null 2>&1; then
        rm -rf "$dir"
        say "creating $dir"
        if ! python3 -m venv "$dir"; then
            rm -rf "$dir"
            apt_install python3-venv
            python3 -m venv "$dir"
        fi
    fi
    if ! "$dir/bin/python" - "$@" <<'EOF'; then
import importlib.metadata as m, sys
for requirement in sys.argv[1:]:
    name, version = requirement.split("==")
    try:
        if m.version(name) != version:
            sys.exit(1)
    except m.PackageNotFoundError:
        sys.exit(1)
EOF
        say "installing $* into $dir"
        "$dir/bin/python" -m pip install --quiet "$@"
    fi
}

echo "== infra: tools"
mkdir -p "$VENV"
ensure_venv "$VENV/sam" "aws-sam-cli==$SAM_CLI_VERSION" "cfn-lint==$CFN_LINT_VERSION" \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" "ziglang==$ZIGLANG_VERSION"
ensure_venv "$VENV/checkov" "checkov==$CHECKOV_VERSION"
CFN_GUARD="$PWD/$TOOLS/bin/cfn-guard"
if [[ $("$CFN_GUARD" --version 2>/dev/null) != "cfn-guard $CFN_GUARD_VERSION" ]]; then
    say "installing cfn-guard $CFN_GUARD_VERSION into $TOOLS (cargo install, about 2 minutes)"
    cargo install cfn-guard --version "$CFN_GUARD_VERSION" --locked --root "$PWD/$TOOLS"
fi
# sam, cfn-lint, cargo-lambda and zig (python3 -m ziglang, found by cargo-lambda) come first.
export PATH="$PWD/$VENV/sam/bin:$PATH"
CHECKOV="$PWD/$VENV/checkov/bin/checkov"
sam --version
cfn-lint --version
cargo lambda --version
say "zig $(python3 -m ziglang version)"
say "checkov $("$CHECKOV" --version)"
"$CFN_GUARD" --version

step "cfn-lint $TEMPLATE"
cfn-lint "$TEMPLATE"

step "cfn-guard: rules/*.guard on $TEMPLATE"
# The declarative policy rules (one file per concern; rules/tests/ holds their fixtures).
"$CFN_GUARD" validate -d "$TEMPLATE" -r rules/ --show-summary fail
# A rule that skips found nothing to check (its resource renamed or gone): that is a failure too.
"$CFN_GUARD" validate -d "$TEMPLATE" -r rules/ --structured -o json --show-summary none |
    python3 -c '
import json, sys
skipped = sorted({rule for report in json.load(sys.stdin) for rule in report["not_applicable"]})
if skipped:
    sys.exit("infra-check: these cfn-guard rules skipped template.yaml (nothing to check): " + ", ".join(skipped))
'

step "cfn-guard test: each rules file against its fixtures"
# Every rule must meet each expectation of rules/tests/<file>_tests.yaml, and have at least one
# fixture it passes and one it fails (a failing input breaks the good snippet as the rule exists
# to catch), so that no rule goes untested.
for rules in rules/*.guard; do
    tests="rules/tests/$(basename "$rules" .guard)_tests.yaml"
    if [[ ! -f $tests ]]; then
        say "$rules has no fixtures ($tests)" >&2
        exit 1
    fi
    if ! report=$("$CFN_GUARD" test -r "$rules" -t "$tests" -o json); then
        "$CFN_GUARD" test -r "$rules" -t "$tests" || true
        say "$rules does not meet its fixtures ($tests)" >&2
        exit 1
    fi
    python3 -c '
import json, re, sys
rules_file, report = sys.argv[1], json.loads(sys.argv[2])
# Named rules (parameterized helpers take arguments and are checked through their callers).
names = re.findall(r"^rule\s+(\w+)\s*(?:when\s|\{)", open(rules_file).read(), re.M)
seen = {}
for case in report["test_cases"]:
    name = case["name"]
    if case["failed_rules"]:
        sys.exit(f"infra-check: {rules_file}: test case {name!r} failed")
    for rule in case["passed_rules"]:
        seen.setdefault(rule["name"], set()).add(rule["evaluated"])
missing = [f"{n} (has {sorted(seen.get(n, []))})" for n in names if not {"PASS", "FAIL"} <= seen.get(n, set())]
if missing:
    sys.exit(f"infra-check: {rules_file}: rules without both a passing and a failing fixture: " + ", ".join(missing))
cases = len(report["test_cases"])
print(f"infra-check: {rules_file}: {len(names)} rules, {cases} fixtures, all as expected")
' "$rules" "$report"
done

step "sam validate --lint"
sam validate --lint --template "$TEMPLATE"
# Without --lint: the SAM transform itself (what `sam deploy` sends CloudFormation).
sam validate --template "$TEMPLATE"

step "checkov, once per TriggerKind"
# checkov evaluates Conditions with the parameters' defaults, so resources of the other trigger
# kinds (the SQS queues, the EventBridge rule) are only seen with their kind as the default.
variants=$(mktemp -d)
trap 'rm -rf "$variants"' EXIT
for kind in "${TRIGGER_KINDS[@]}"; do
    mkdir -p "$variants/$kind"
    python3 - "$TEMPLATE" "$kind" "$variants/$kind/template.yaml" <<'EOF'
import re, sys
source, kind, out = sys.argv[1:]
text = open(source, encoding="utf-8").read()
block = re.search(r"^  TriggerKind:\n(?:    .*\n)+", text, re.M)
assert block, "no TriggerKind parameter in the template"
new_block, n = re.subn(r"^    Default: \w+$", f"    Default: {kind}", block.group(0), flags=re.M)
assert n == 1, "TriggerKind has no single Default line"
open(out, "w", encoding="utf-8").write(text[: block.start()] + new_block + text[block.end():])
EOF
    say "checkov with TriggerKind=$kind"
    # --skip-download: no guidelines or policies from the network. checkov exits 0 on a file it
    # cannot parse, having checked nothing: the summary line must show checks that ran.
    if ! out=$("$CHECKOV" --file "$variants/$kind/template.yaml" --framework cloudformation \
        --skip-download --compact --quiet 2>&1); then
        echo "$out"
        say "checkov found problems with TriggerKind=$kind (fix them, or skip them in the template's Metadata with a reason)" >&2
        exit 1
    fi
    summary=$(grep -E '^Passed checks: [0-9]+, Failed checks: 0, ' <<<"$out" || true)
    if [[ -z $summary || $summary == "Passed checks: 0,"* ]]; then
        echo "$out"
        say "checkov checked nothing with TriggerKind=$kind" >&2
        exit 1
    fi
    say "$summary"
done

if [[ ${INFRA_SKIP_BUILD:-} == 1 ]]; then
    step "sam build skipped (INFRA_SKIP_BUILD=1)"
    say "template checks passed in $((SECONDS - started)) s"
    exit 0
fi

step "sam build (cargo-lambda, arm64 release)"
# cargo-lambda adds the target itself; adding it first keeps a missing target from showing up
# as a build error.
if command -v rustup >/dev/null; then
    rustup target add aarch64-unknown-linux-gnu
fi
# The workspace's release profile strips the binary (Cargo.toml), so `sam build` as an operator
# runs it builds what is deployed; the function crate has no features to turn off.
sam build --template "$TEMPLATE"

step "the built bootstrap"
python3 - ".aws-sam/build/$FUNCTION/bootstrap" <<'EOF'
import os, struct, sys
path = sys.argv[1]
problems = []
if not os.path.isfile(path):
    sys.exit(f"infra-check: {path} was not built")
data = open(path, "rb").read()
if data[:4] != b"\x7fELF":
    sys.exit(f"infra-check: {path} is not an ELF file")
ei_class, ei_data = data[4], data[5]
if ei_class != 2 or ei_data != 1:
    problems.append(f"not a 64-bit little-endian ELF (class {ei_class}, data {ei_data})")
e_type, e_machine = struct.unpack_from("<HH", data, 16)
if e_machine != 0xB7:
    problems.append(f"e_machine is {e_machine:#x}, not 0xb7 (AArch64)")
# A position-independent executable is ET_DYN like a shared library: it is an executable only if
# it names a program interpreter (PT_INTERP).
e_phoff, = struct.unpack_from("<Q", data, 32)
e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
segments = [struct.unpack_from("<I", data, e_phoff + i * e_phentsize)[0] for i in range(e_phnum)]
PT_INTERP = 3
if e_type == 2:
    kind = "executable (ET_EXEC)"
elif e_type == 3 and PT_INTERP in segments:
    kind = "position-independent executable (ET_DYN with an interpreter)"
else:
    kind = None
    problems.append(f"not an executable (e_type {e_type}, interpreter segment: {PT_INTERP in segments})")
if not os.access(path, os.X_OK):
    problems.append("not executable (mode bits)")
# Stripped: no debug information, no symbol table (section names from the section header table).
e_shoff, = struct.unpack_from("<Q", data, 40)
e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 58)
def section(i):
    return struct.unpack_from("<IIQQQQ", data, e_shoff + i * e_shentsize)
names_offset = section(e_shstrndx)[4]
def name(i):
    start = names_offset + section(i)[0]
    return data[start:data.index(b"\0", start)].decode()
sections = {name(i) for i in range(e_shnum)}
for unwanted in (".debug_info", ".debug_line", ".symtab"):
    if unwanted in sections:
        problems.append(f"not stripped: has a {unwanted} section")
# The emulator (crate cognito-import-emulator) must not be in it.
for marker in (b"cognito_import_emulator", b"aws-cognito-idp-user-import-"):
    if marker in data:
        problems.append(f"contains {marker.decode()!r}: the emulator was built into the function")
# And it must be the function: the names of the variables it reads are in it.
for marker in (b"CLOUDWATCH_LOGS_ROLE_ARN", b"CLAIM_LEASE_SECONDS"):
    if marker not in data:
        problems.append(f"does not contain {marker.decode()!r}: is this the import function?")
# The deployment package: SAM zips the bootstrap with deflate; the zip must stay small (cold
# starts, uploads).
import io, zipfile
package = io.BytesIO()
with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(path, "bootstrap")
zipped = len(package.getvalue())
MAX_ZIP = 8_000_000
if zipped > MAX_ZIP:
    problems.append(f"the zip is {zipped / 1e6:.1f} MB, over {MAX_ZIP / 1e6:.0f} MB")
if problems:
    sys.exit("infra-check: " + path + ":\n  - " + "\n  - ".join(problems))
print(f"infra-check: {path}: AArch64 {kind}, stripped, {len(data) / 1e6:.1f} MB "
      f"({zipped / 1e6:.1f} MB zipped), no emulator in it")
EOF

step "finished"
say "all infrastructure checks passed in $((SECONDS - started)) s"
