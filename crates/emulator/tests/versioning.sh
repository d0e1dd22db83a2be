#!/usr/bin/env bash
# A versioned drop bucket through the real AWS CLI (s3api) against the emulator, every step checked:
# versioning switched on, an object put twice, its versions listed and read by id, a delete marker
# added and removed, one version deleted, bad version ids refused. Stops at the first mismatch
# with a message and a non-zero exit status.
#
#   ENDPOINT=http://127.0.0.1:4566 bash crates/emulator/tests/versioning.sh
#
# Input: ENDPOINT (the emulator's URL, required) and WORK (a scratch directory; a temporary one is
# made and removed when unset). Needs aws (AWS CLI) and python3 on PATH: `bash scripts/test.sh`
# installs them.
set -euo pipefail

NAME=versioning
TOOLS=(aws python3)
# shellcheck source=crates/emulator/tests/cli-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli-common.sh"

# refused WHAT ERROR ARGS...: the call must fail, and the CLI's message must hold ERROR (an S3
# error code, or for HEAD, which has no body, the HTTP status).
refused() {
    local what=$1 error=$2
    shift 2
    if aws --endpoint-url "$ENDPOINT" "$@" >/dev/null 2>"$WORK/aws-stderr"; then
        fail "$what: the call succeeded; $error was expected"
    fi
    grep -q "$error" "$WORK/aws-stderr" || fail "$what: expected $error, got: $(cat "$WORK/aws-stderr")"
    step "  $what -> $error"
}


BUCKET=versioning-drop
KEY=incoming/users.csv
printf 'cognito:username,email\nalice,alice@example.com\n' >first.csv
printf 'cognito:username,email\nbob,bob@example.com\ncarol,carol@example.com\n' >second.csv

# --- 1. Versioning on ------------------------------------------------------------------------------
step "create-bucket, get-bucket-versioning (none yet), put-bucket-versioning Enabled"
awsx mb.json s3api create-bucket --bucket "$BUCKET"
awsx status.txt s3api get-bucket-versioning --bucket "$BUCKET" --query Status --output text
expect_eq "versioning of a new bucket" None "$(cat status.txt)"
awsx /dev/null s3api put-bucket-versioning --bucket "$BUCKET" --versioning-configuration Status=Enabled
awsx status.txt s3api get-bucket-versioning --bucket "$BUCKET" --query Status --output text
expect_eq "versioning after put-bucket-versioning" Enabled "$(cat status.txt)"

# --- 2. One key, two versions ----------------------------------------------------------------------
step "put-object twice"
awsx put1.json s3api put-object --bucket "$BUCKET" --key "$KEY" --body first.csv
awsx put2.json s3api put-object --bucket "$BUCKET" --key "$KEY" --body second.csv
V1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["VersionId"])' put1.json)
V2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["VersionId"])' put2.json)
[[ -n $V1 && -n $V2 && $V1 != "$V2" ]] || fail "two puts must answer two version ids, got '$V1' and '$V2'"
step "  versions $V1, $V2"

step "list-object-versions"
awsx versions.json s3api list-object-versions --bucket "$BUCKET" --prefix incoming/
check_json versions.json "
v = d.get('Versions', [])
if [(x['Key'], x['VersionId'], x['IsLatest']) for x in v] != [('$KEY', '$V2', True), ('$KEY', '$V1', False)]:
    fail('list-object-versions: ' + json.dumps(v))
if [x['Size'] for x in v] != [$(wc -c <second.csv), $(wc -c <first.csv)]:
    fail('sizes: ' + json.dumps(v))
put1 = json.load(open('put1.json'))
if v[1]['ETag'] != put1['ETag']:
    fail('the older version lists ETag %s, its put answered %s' % (v[1]['ETag'], put1['ETag']))
if d.get('DeleteMarkers'):
    fail('no delete marker yet: ' + json.dumps(d['DeleteMarkers']))
"

step "get-object (current), get-object --version-id (older)"
awsx get.json s3api get-object --bucket "$BUCKET" --key "$KEY" current.csv
cmp -s second.csv current.csv || fail "the current version is not the second put"
awsx get1.json s3api get-object --bucket "$BUCKET" --key "$KEY" --version-id "$V1" older.csv
cmp -s first.csv older.csv || fail "get-object --version-id $V1 is not the first put"
check_json get1.json "
if d.get('VersionId') != '$V1':
    fail('get-object --version-id answers VersionId %r' % d.get('VersionId'))
"

step "head-object with bad version ids"
refused "head-object --version-id <well-formed, unknown>" "(404)" \
    s3api head-object --bucket "$BUCKET" --key "$KEY" --version-id IYV3p45BT0ac8hjHg1houSdS1a.Mro8e
refused "head-object --version-id nope" "(400)" \
    s3api head-object --bucket "$BUCKET" --key "$KEY" --version-id nope
refused "get-object --version-id <well-formed, unknown>" NoSuchVersion \
    s3api get-object --bucket "$BUCKET" --key "$KEY" --version-id IYV3p45BT0ac8hjHg1houSdS1a.Mro8e nothing.csv

# --- 3. Deletes ------------------------------------------------------------------------------------
step "delete-object (a delete marker)"
awsx delete.json s3api delete-object --bucket "$BUCKET" --key "$KEY"
MARKER=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
if d.get("DeleteMarker") is not True:
    sys.exit("versioning: FAIL: delete-object without a version must answer DeleteMarker true: %s" % d)
print(d["VersionId"])' delete.json)
step "  marker $MARKER"
refused "get-object after the delete" NoSuchKey \
    s3api get-object --bucket "$BUCKET" --key "$KEY" nothing.csv
awsx versions.json s3api list-object-versions --bucket "$BUCKET"
check_json versions.json "
m = d.get('DeleteMarkers', [])
if [(x['Key'], x['VersionId'], x['IsLatest']) for x in m] != [('$KEY', '$MARKER', True)]:
    fail('delete markers: ' + json.dumps(m))
if [x['VersionId'] for x in d.get('Versions', [])] != ['$V2', '$V1']:
    fail('the versions must stay: ' + json.dumps(d.get('Versions')))
"
awsx older2.json s3api get-object --bucket "$BUCKET" --key "$KEY" --version-id "$V1" older2.csv
cmp -s first.csv older2.csv || fail "the older version changed after the delete"

step "delete-object --version-id (one version only)"
awsx delete1.json s3api delete-object --bucket "$BUCKET" --key "$KEY" --version-id "$V1"
check_json delete1.json "
if d.get('VersionId') != '$V1':
    fail('delete-object --version-id answers VersionId %r' % d.get('VersionId'))
"
refused "get-object --version-id of the deleted version" NoSuchVersion \
    s3api get-object --bucket "$BUCKET" --key "$KEY" --version-id "$V1" nothing.csv
awsx /dev/null s3api delete-object --bucket "$BUCKET" --key "$KEY" --version-id "$MARKER"
awsx back.json s3api get-object --bucket "$BUCKET" --key "$KEY" back.csv
cmp -s second.csv back.csv || fail "with its delete marker deleted, the key must hold the second put again"
check_json back.json "
if d.get('VersionId') != '$V2':
    fail('the current version is %r, expected $V2' % d.get('VersionId'))
"

step "all steps passed"
