#!/usr/bin/env bash
# The manual user-import walkthrough, run with the real AWS CLI and curl against the emulator, with
# every step checked. It stops at the first mismatch with a message and a non-zero exit status.
#
#   ENDPOINT=http://127.0.0.1:4566 bash emulator/tests/walkthrough.sh
#
# Input: ENDPOINT (the emulator's URL, required) and WORK (a scratch directory; a temporary one is
# made and removed when unset). Needs aws (AWS CLI), curl and python3 on PATH: `bash
# scripts/test.sh` installs them.
#
# The pre-signed URL is a bearer credential in real AWS, so it is never printed: messages say
# "<pre-signed URL>" instead, and nothing here runs with `set -x`.
set -euo pipefail

NAME=walkthrough
TOOLS=(aws curl python3)
# shellcheck source=crates/emulator/tests/cli-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli-common.sh"

# The job as JSON with the pre-signed URL blanked out, for messages.
redacted_job() {
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
job = d.get("UserImportJob", d)
if "PreSignedUrl" in job:
    job["PreSignedUrl"] = "<pre-signed URL>"
print(json.dumps(d, sort_keys=True))
PY
}

# put_url URL CURL-ARGS...: PUTs users.csv to URL with curl; sets HTTP_CODE and leaves the answer
# in upload-body. curl's own errors are shown with every URL replaced by "<pre-signed URL>".
put_url() {
    local url=$1 rc=0
    shift
    HTTP_CODE=$(curl -sS --max-time 30 -o "$WORK/upload-body" -w '%{http_code}' -T users.csv "$@" "$url" \
        2>"$WORK/curl-stderr") || rc=$?
    # A server may answer a refused upload before reading the body and close the connection; a
    # received status code is what counts.
    if [[ $rc -ne 0 && ${HTTP_CODE:-000} == 000 ]]; then
        fail "curl -T users.csv <pre-signed URL> failed (exit $rc): $(sed -E 's#https?://[^ ]*#<pre-signed URL>#g' "$WORK/curl-stderr")"
    fi
}

# expect_upload WHAT STATUS CODE: the last put_url answered STATUS with an S3 error CODE in its body
# (CODE "-" for a success).
expect_upload() {
    local what=$1 status=$2 code=$3 got_code
    got_code=$(sed -n 's#.*<Code>\([^<]*\)</Code>.*#\1#p' "$WORK/upload-body" | head -n 1)
    [[ $HTTP_CODE == "$status" ]] || fail "$what: expected HTTP $status, got $HTTP_CODE (error code '${got_code}')"
    if [[ $code != - ]]; then
        expect_eq "$what: <Code> in the S3 error body" "$code" "$got_code"
    fi
    step "  $what -> $HTTP_CODE${got_code:+ $got_code}"
}

# --- 1. A user pool -------------------------------------------------------------------------------
# Auto-verifying email is what lets an import job start (the pool must auto-verify email or phone).
step "create-user-pool Walkthrough"
awsx pool.json cognito-idp create-user-pool --pool-name Walkthrough --auto-verified-attributes email
POOL_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["UserPool"]["Id"])' pool.json)
[[ $POOL_ID =~ ^us-east-1_[0-9a-zA-Z]+$ ]] || fail "pool id '$POOL_ID' does not match us-east-1_[0-9a-zA-Z]+"
export POOL_ID
step "  pool $POOL_ID"

# --- 2. The CSV header ----------------------------------------------------------------------------
step "get-csv-header"
awsx header.json cognito-idp get-csv-header --user-pool-id "$POOL_ID"
check_json header.json '
expected = ("name,given_name,family_name,middle_name,nickname,preferred_username,profile,picture,"
            "website,email,email_verified,gender,birthdate,zoneinfo,locale,phone_number,"
            "phone_number_verified,address,updated_at,cognito:mfa_enabled,cognito:username").split(",")
if d.get("CSVHeader") != expected:
    fail("CSVHeader is %r, expected %r" % (d.get("CSVHeader"), expected))
import os
if d.get("UserPoolId") != os.environ["POOL_ID"]:
    fail("UserPoolId is %r" % d.get("UserPoolId"))
' || exit 1

# --- 3. A user who already exists, then users.csv -------------------------------------------------
step "admin-create-user bob (his CSV row must be SKIPPED and leave him unchanged)"
awsx bob.json cognito-idp admin-create-user --user-pool-id "$POOL_ID" --username bob \
    --user-attributes Name=email,Value=bob@example.com Name=email_verified,Value=true \
    Name=name,Value="Bob Example" --message-action SUPPRESS

# Line 1 is the header. Line 2 alice, 3 bob (exists: SKIPPED), 4 carol (a `\,` in her name),
# 5 dave, 6 erin (email_verified true without an email: FAILED), 7 frank (verified by phone only,
# in a pool that auto-verifies email only: FAILED), 8 gina. 4 imported, 1 skipped, 2 failed.
step "build users.csv from the header"
python3 - header.json users.csv <<'PY'
import json, sys
header = json.load(open(sys.argv[1], encoding="utf-8"))["CSVHeader"]
common = {"email_verified": "true", "phone_number_verified": "false", "cognito:mfa_enabled": "false"}
users = [
    {"cognito:username": "alice", "name": "Alice Example", "given_name": "Alice",
     "family_name": "Example", "email": "alice@example.com", "locale": "en"},
    {"cognito:username": "bob", "name": "Bob From The File", "email": "bob@example.com"},
    {"cognito:username": "carol", "name": "Doe, Carol", "given_name": "Carol", "family_name": "Doe",
     "email": "carol@example.com"},
    {"cognito:username": "dave", "name": "Dave Example", "email": "dave@example.com",
     "birthdate": "02/29/1996", "updated_at": "1700000000"},
    {"cognito:username": "erin", "name": "Erin Example", "email": ""},
    {"cognito:username": "frank", "name": "Frank Example", "email": "frank@example.com",
     "email_verified": "false", "phone_number": "+14325551212", "phone_number_verified": "true"},
    {"cognito:username": "gina", "name": "Gina Example", "email": "gina@example.com"},
]
# Cognito's dialect: no quotes, a comma inside a value is written \, ; UTF-8 without BOM; LF.
def cell(user, column):
    return {**common, **user}.get(column, "").replace(",", "\\,")
with open(sys.argv[2], "w", encoding="utf-8", newline="\n") as f:
    f.write(",".join(header) + "\n")
    for user in users:
        f.write(",".join(cell(user, c) for c in header) + "\n")
PY
grep -q 'Doe\\, Carol' users.csv || fail "users.csv lacks the escaped comma 'Doe\\, Carol'"
expect_eq "lines in users.csv" 8 "$(wc -l <users.csv | tr -d ' ')"

# --- 4. The import job ----------------------------------------------------------------------------
step "create-user-import-job MyImportJob"
ROLE_ARN=arn:aws:iam::111111111111:role/CognitoCloudWatchLogsRole
awsx job.json cognito-idp create-user-import-job --user-pool-id "$POOL_ID" --job-name MyImportJob \
    --cloud-watch-logs-role-arn "$ROLE_ARN"
export ROLE_ARN
check_json job.json '
import os, re, time
job = d.get("UserImportJob")
if not isinstance(job, dict):
    fail("no UserImportJob in the answer")
want = {"JobName": "MyImportJob", "UserPoolId": os.environ["POOL_ID"], "Status": "Created",
        "CloudWatchLogsRoleArn": os.environ["ROLE_ARN"], "ImportedUsers": 0, "SkippedUsers": 0,
        "FailedUsers": 0}
for key, value in want.items():
    if job.get(key) != value:
        fail("UserImportJob.%s is %r, expected %r" % (key, job.get(key), value))
if not re.fullmatch(r"import-[0-9a-zA-Z-]+", str(job.get("JobId"))) or len(job["JobId"]) > 55:
    fail("JobId %r does not match import-[0-9a-zA-Z-]+" % job.get("JobId"))
if not str(job.get("PreSignedUrl", "")).startswith("http"):
    fail("UserImportJob.PreSignedUrl is missing")
created = job.get("CreationDate")
# The CLI shows timestamps as received (epoch seconds) unless configured to format them.
if isinstance(created, (int, float)):
    if abs(created - time.time()) > 3600:
        fail("CreationDate %r is not now" % created)
elif not (isinstance(created, str) and re.match(r"\d{4}-\d\d-\d\dT", created)):
    fail("CreationDate %r is neither epoch seconds nor an ISO 8601 time" % created)
' || fail "create-user-import-job answered: $(redacted_job job.json)"
JOB_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["UserImportJob"]["JobId"])' job.json)
URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["UserImportJob"]["PreSignedUrl"])' job.json)
export JOB_ID
step "  job $JOB_ID"

# The URL leads back to this endpoint, path-style, to the job's object, signed with the SSE header.
URL="$URL" python3 - <<'PY' || exit 1
import os, sys
from urllib.parse import urlsplit, parse_qs
def fail(msg):
    sys.exit("walkthrough: FAIL: <pre-signed URL>: " + msg)
url = urlsplit(os.environ["URL"])
endpoint = urlsplit(os.environ["ENDPOINT"])
if (url.scheme, url.netloc) != (endpoint.scheme, endpoint.netloc):
    fail("points at %s://%s, not at the endpoint %s" % (url.scheme, url.netloc, os.environ["ENDPOINT"]))
if not url.path.endswith("/" + os.environ["JOB_ID"]) or url.path.count("/") < 2:
    fail("path %r is not a path-style object key ending in the job id" % url.path)
q = {k: v[0] for k, v in parse_qs(url.query).items()}
want = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Expires": "899",
        "X-Amz-SignedHeaders": "host;x-amz-server-side-encryption"}
for key, value in want.items():
    if q.get(key) != value:
        fail("%s is %r, expected %r" % (key, q.get(key), value))
for key in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-Signature"):
    if not q.get(key):
        fail(key + " is missing")
PY

# --- 5. Uploads that S3 refuses, then the real one ------------------------------------------------
step "curl -T users.csv <pre-signed URL>, refused variants first"
put_url "$URL"
expect_upload "without x-amz-server-side-encryption" 403 SignatureDoesNotMatch
put_url "$URL" -H "x-amz-server-side-encryption:AES256"
expect_upload "with x-amz-server-side-encryption:AES256" 403 SignatureDoesNotMatch
put_url "$URL" -H "x-amz-server-side-encryption:aws:kms" -H "Transfer-Encoding: chunked"
expect_upload "with Transfer-Encoding: chunked" 501 NotImplemented
# One character of the signature changed (0 <-> 1 on its first hex digit).
[[ $URL =~ (X-Amz-Signature=)([0-9a-f])([0-9a-f]*) ]] || fail "<pre-signed URL> has no hex X-Amz-Signature"
if [[ ${BASH_REMATCH[2]} == 0 ]]; then flipped=1; else flipped=0; fi
ALTERED_URL=${URL/"${BASH_REMATCH[0]}"/"${BASH_REMATCH[1]}${flipped}${BASH_REMATCH[3]}"}
[[ $ALTERED_URL != "$URL" ]] || fail "could not alter the <pre-signed URL>"
put_url "$ALTERED_URL" -H "x-amz-server-side-encryption:aws:kms"
expect_upload "with an altered X-Amz-Signature" 403 SignatureDoesNotMatch

put_url "$URL" -H "x-amz-server-side-encryption:aws:kms"
expect_upload "with x-amz-server-side-encryption:aws:kms" 200 -

# --- 6. Run the job -------------------------------------------------------------------------------
step "start-user-import-job"
awsx start.json cognito-idp start-user-import-job --user-pool-id "$POOL_ID" --job-id "$JOB_ID" \
    --query UserImportJob.Status --output text
expect_eq "status right after start-user-import-job" Pending "$(cat start.json)"

step "describe-user-import-job until Succeeded or Failed (at most 30 s)"
deadline=$((SECONDS + 30))
while :; do
    awsx describe.json cognito-idp describe-user-import-job --user-pool-id "$POOL_ID" --job-id "$JOB_ID"
    STATUS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["UserImportJob"]["Status"])' describe.json)
    case $STATUS in
    Succeeded | Failed) break ;;
    Pending | InProgress) ;;
    *) fail "unexpected job status '$STATUS' while waiting" ;;
    esac
    ((SECONDS < deadline)) || fail "job still $STATUS after 30 s"
    sleep 0.5
done
step "  $STATUS"
check_json describe.json '
job = d["UserImportJob"]
want = {"Status": "Succeeded", "ImportedUsers": 4, "SkippedUsers": 1, "FailedUsers": 2,
        "CompletionMessage": "Import Job Completed Successfully."}
for key, value in want.items():
    if job.get(key) != value:
        fail("finished job: %s is %r, expected %r" % (key, job.get(key), value))
for key in ("StartDate", "CompletionDate"):
    if key not in job:
        fail("finished job has no " + key)
' || fail "describe-user-import-job answered: $(redacted_job describe.json)"

step "list-user-import-jobs"
awsx jobs.json cognito-idp list-user-import-jobs --user-pool-id "$POOL_ID" --max-results 10
check_json jobs.json '
import os
jobs = [(j.get("JobId"), j.get("Status")) for j in d.get("UserImportJobs", [])]
if jobs != [(os.environ["JOB_ID"], "Succeeded")]:
    fail("list-user-import-jobs shows %r" % jobs)
' || exit 1

# --- 7. The users ---------------------------------------------------------------------------------
step "list-users"
awsx users.json cognito-idp list-users --user-pool-id "$POOL_ID"
check_json users.json '
users = {u["Username"]: u for u in d.get("Users", [])}
if sorted(users) != ["alice", "bob", "carol", "dave", "gina"]:
    fail("users are %r, expected alice, bob, carol, dave, gina (erin and frank failed)" % sorted(users))
attrs = {name: {a["Name"]: a.get("Value") for a in u.get("Attributes", [])} for name, u in users.items()}
for name in ("alice", "carol", "dave", "gina"):
    if users[name].get("UserStatus") != "RESET_REQUIRED":
        fail("%s has UserStatus %r, expected RESET_REQUIRED" % (name, users[name].get("UserStatus")))
    if attrs[name].get("email") != name + "@example.com":
        fail("%s has email %r" % (name, attrs[name].get("email")))
if attrs["carol"].get("name") != "Doe, Carol":
    fail("carol has name %r, expected the escaped comma decoded: %r" % (attrs["carol"].get("name"), "Doe, Carol"))
# A skipped row leaves the existing user as it was.
if users["bob"].get("UserStatus") == "RESET_REQUIRED" or attrs["bob"].get("name") != "Bob Example":
    fail("bob was changed by the import: %r, name %r" % (users["bob"].get("UserStatus"), attrs["bob"].get("name")))
' || exit 1

# --- 8. The job's CloudWatch log ------------------------------------------------------------------
step "logs get-log-events"
awsx events.json logs get-log-events --log-group-name "/aws/cognito/userpools/$POOL_ID/Walkthrough" \
    --log-stream-name "$JOB_ID/MyImportJob" --start-from-head
check_json events.json '
import re
lines = [e.get("message", "").strip() for e in d.get("events", [])]
expected = {2: "[SUCCEEDED] Line Number 2 - The import succeeded.",
            3: "[SKIPPED] Line Number 3 - The user already exists.",
            4: "[SUCCEEDED] Line Number 4 - The import succeeded.",
            5: "[SUCCEEDED] Line Number 5 - The import succeeded.",
            7: "[FAILED] Line Number 7 - The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true).",
            8: "[SUCCEEDED] Line Number 8 - The import succeeded."}
by_line = {}
for line in lines:
    m = re.match(r"\[(SUCCEEDED|SKIPPED|FAILED)\] Line Number (\d+) - \S", line)
    if not m:
        fail("log line %r is not [RESULT] Line Number N - message" % line)
    n = int(m.group(2))
    if n in by_line:
        fail("line %d is logged twice" % n)
    by_line[n] = line
if sorted(by_line) != [2, 3, 4, 5, 6, 7, 8]:
    fail("logged CSV lines are %r, expected one line for each of 2..8: %r" % (sorted(by_line), lines))
for n, line in expected.items():
    if by_line[n] != line:
        fail("line %d logged as %r, expected %r" % (n, by_line[n], line))
if not by_line[6].startswith("[FAILED] Line Number 6 - "):
    fail("line 6 logged as %r, expected [FAILED] Line Number 6 - <reason>" % by_line[6])
print("walkthrough:   " + "\nwalkthrough:   ".join(by_line[n] for n in sorted(by_line)))
' || exit 1

# --- 9. A finished job cannot be started again ----------------------------------------------------
step "start-user-import-job again (must be refused)"
if aws --endpoint-url "$ENDPOINT" cognito-idp start-user-import-job --user-pool-id "$POOL_ID" \
    --job-id "$JOB_ID" >restart.json 2>restart.err; then
    fail "a second start of the Succeeded job was accepted: $(redacted_job restart.json)"
fi
ERROR_CODE=$(sed -n 's/.*An error occurred (\([A-Za-z]*\)).*/\1/p' restart.err | head -n 1)
[[ -n $ERROR_CODE ]] || fail "the refused restart did not name an error: $(cat restart.err)"
step "  refused: $ERROR_CODE"
awsx status.txt cognito-idp describe-user-import-job --user-pool-id "$POOL_ID" --job-id "$JOB_ID" \
    --query UserImportJob.Status --output text
expect_eq "status after the refused restart" Succeeded "$(cat status.txt)"

# --- 10. S3 through the same endpoint -------------------------------------------------------------
step "s3 mb / cp / ls / cp back"
awsx mb.txt s3 mb s3://walkthrough-drop
awsx cp-up.txt s3 cp users.csv s3://walkthrough-drop/incoming/users.csv
awsx ls.txt s3 ls s3://walkthrough-drop/incoming/
grep -Eq "[[:space:]]$(wc -c <users.csv | tr -d ' ')[[:space:]]+users\.csv$" ls.txt ||
    fail "s3 ls s3://walkthrough-drop/incoming/ does not list users.csv with its size: $(cat ls.txt)"
awsx cp-down.txt s3 cp s3://walkthrough-drop/incoming/users.csv back.csv
cmp -s users.csv back.csv || fail "back.csv downloaded from S3 differs from users.csv"

step "all steps passed"
