# What the AWS CLI scripts of these tests share (walkthrough.sh, versioning.sh), sourced after
# they set NAME (the prefix of their messages) and TOOLS (the commands they need on PATH): the
# endpoint and scratch directory, fail / step, dummy credentials and config files of their own,
# awsx, expect_eq and check_json.

: "${ENDPOINT:?set ENDPOINT to the emulator URL, e.g. http://127.0.0.1:4566}"
ENDPOINT=${ENDPOINT%/}
if [[ -z ${WORK:-} ]]; then
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
cd "$WORK"

fail() {
    echo "$NAME: FAIL: $*" >&2
    exit 1
}
step() { echo "$NAME: $*"; }

for tool in "${TOOLS[@]}"; do
    command -v "$tool" >/dev/null || fail "$tool is not on PATH (run 'bash scripts/test.sh', which installs it)"
done

# Dummy credentials, and config files of our own so that a developer's ~/.aws cannot change the run.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
# Path-style S3 addressing: the endpoint is one host without wildcard DNS for bucket subdomains.
printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

# awsx OUT ARGS...: runs `aws --endpoint-url $ENDPOINT ARGS...`, stdout to the file OUT; fails
# the script with the CLI's error when the call fails.
awsx() {
    local out=$1
    shift
    if ! aws --endpoint-url "$ENDPOINT" "$@" >"$out" 2>"$WORK/aws-stderr"; then
        fail "aws $1 $2 failed: $(cat "$WORK/aws-stderr")"
    fi
}

expect_eq() {
    [[ $2 == "$3" ]] || fail "$1: expected '$2', got '$3'"
}

# check_json FILE PYTHON: runs PYTHON with `d` = the JSON in FILE and `fail(msg)` at hand.
check_json() {
    NAME=$NAME python3 - "$1" "$2" <<'PY'
import json, os, sys
def fail(msg):
    sys.exit(os.environ["NAME"] + ": FAIL: " + msg)
with open(sys.argv[1], encoding="utf-8") as f:
    d = json.load(f)
exec(sys.argv[2])
PY
}
