#!/usr/bin/env bash
# The issue's "done when": clients written for the platform work against
# `convey serve` unchanged but for the host. Runs seed 000's bash/curl
# recipes (create a task; create a process; get an object's URL and
# download it; upload an export) and seed 000's modify/show flow, and a
# header-signed request as the newer SDKs send it, against a real server.
#   serve_recipes_test.sh CONVEY_BINARY SCHEME_FILE
set -euo pipefail
convey=$1
scheme=$2
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/recipes.XXXXXX")
"$convey" serve "$scheme" --listen 127.0.0.1:0 --api-key "985:Iw5N12MYleOULxdfMH43SK9ZAmjPyFKtdhToiL38xIBz6ecdZxW" \
  > "$work/serve.out" 2> "$work/serve.err" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 200); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.05; done
base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out" | head -1)
[ -n "$base" ] || { cat "$work/serve.err"; echo "the server did not start"; exit 1; }

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expect NAME JSON PATTERN
  grep -q -- "$3" <<<"$2" || fail "$1: expected $3 in: $2"
  echo "ok: $1"
}

CONV_USER_ID=985
CONV_USER_PASS=Iw5N12MYleOULxdfMH43SK9ZAmjPyFKtdhToiL38xIBz6ecdZxW
API_URL="$base/api/1/json/"
CONV_ID=1001

# Seed 000, "Creating new task" (API_URL ends with a slash there).
TIME=$(echo $(($(date +%s))))
JSON="{
\"ops\" : [{
\"ref\" : \"ref_32353\",
\"type\" : \"create\",
\"obj\" : \"task\",
\"conv_id\" : ${CONV_ID},
\"data\" : {\"price\" : 250, \"qty\" : 6}
}]
}"
SIGNATURE=$(echo -n "${TIME}${CONV_USER_PASS}${JSON}${CONV_USER_PASS}" | openssl dgst -sha1 | awk '{print $NF}')
REQ=$(curl --silent -XPOST ${API_URL}${CONV_USER_ID}/${TIME}/${SIGNATURE} --data "${JSON}")
expect "create task (seed 000)" "$REQ" '"proc":"ok","obj":"task","ref":"ref_32353"'

signed() {  # signed URL_PREFIX BODY
  local t sig
  t=$(date +%s)
  sig=$(printf '%s' "${t}${CONV_USER_PASS}$2${CONV_USER_PASS}" | openssl dgst -sha1 | awk '{printf $NF}')
  curl --silent -XPOST "$1/${CONV_USER_ID}/${t}/${sig}" --data "$2"
}
REQ=$(signed "$base/api/1/json" '{"ops":[{"type":"show","obj":"task","conv_id":1001,"ref":"ref_32353"}]}')
expect "show task" "$REQ" '"node_id":"6808a919513aa065de250005"'

# The newer SDKs: signed in headers.
BODY='{"ops":[{"type":"get","obj":"task","conv_id":1001,"ref":"ref_32353"}]}'
TS=$(date +%s)
HSIG=$(printf '%s' "${TS}${BODY}" | openssl dgst -sha256 -hmac "$CONV_USER_PASS" | awk '{print $NF}')
REQ=$(curl --silent -XPOST "$base/api/2/json" -H "X-API-Login: $CONV_USER_ID" -H "X-API-Timestamp: $TS" \
  -H "X-API-Signature: $HSIG" --data "$BODY")
expect "header-signed get" "$REQ" '"price":250'
REQ=$(signed "$base/api/1/json" '{"ops":[{"type":"modify","obj":"task","conv_id":1001,"ref":"ref_32353","data":{"checkedClient":"true"}}]}')
expect "modify task (callback)" "$REQ" '"proc":"ok"'

# Seed 000, "Creating new process".
API_KEY_LOGIN=$CONV_USER_ID
API_KEY_SECRET=$CONV_USER_PASS
API_URL="$base/api/2/json"
CONTENT_TYPE="application/json"
TIMESTAMP=$(printf $(($(date +%s))))
BODY="{\"ops\":[{\"title\":\"Test\",\"description\":\"\",\"folder_id\":0,\"obj\":\"conv\",\"create_mode\":\"without_nodes\",\"conv_type\":\"process\",\"type\":\"create\",\"status\":\"active\"}]}"
SIGNATURE=$(printf "${TIMESTAMP}${API_KEY_SECRET}${BODY}${API_KEY_SECRET}" | openssl dgst -sha1 | awk '{printf $NF}')
REQ=$(curl --silent --header "Content-Type: ${CONTENT_TYPE}" -XPOST "${API_URL}/${API_KEY_LOGIN}/${TIMESTAMP}/${SIGNATURE}" --data "${BODY}")
expect "create process (seed 000)" "$REQ" '"obj":"conv","obj_id":1002'

# Build it (seed 001): Start -> Final, commit, run a task.
REQ=$(signed "$base/api/2/json" '{"ops":[{"id":"1","type":"create","obj":"node","conv_id":1002,"title":"START","obj_type":1,"version":1},{"id":"2","type":"create","obj":"node","conv_id":1002,"title":"Final","obj_type":2,"version":1}]}')
START=$(grep -o '"id":"1","proc":"ok","obj":"node","version":1,"obj_id":"[0-9a-f]*"' <<<"$REQ" | grep -o '[0-9a-f]\{24\}')
FINAL=$(grep -o '"id":"2","proc":"ok","obj":"node","version":1,"obj_id":"[0-9a-f]*"' <<<"$REQ" | grep -o '[0-9a-f]\{24\}')
[ -n "$START" ] && [ -n "$FINAL" ] || fail "create nodes: $REQ"
REQ=$(signed "$base/api/2/json" "{\"ops\":[{\"type\":\"modify\",\"obj\":\"node\",\"obj_id\":\"$START\",\"conv_id\":1002,\"title\":\"START\",\"obj_type\":1,\"description\":\"\",\"logics\":[{\"type\":\"go\",\"to_node_id\":\"$FINAL\"}],\"semaphors\":[],\"position\":[0,0],\"extra\":{\"modeForm\":\"collapse\",\"icon\":\"\"},\"version\":1}]}")
expect "modify node" "$REQ" '"proc":"ok"'
REQ=$(signed "$base/api/2/json" '{"ops":[{"type":"confirm","obj":"commit","conv_id":1002,"company_id":null,"version":1}]}')
expect "confirm commit" "$REQ" '"proc":"ok"'
REQ=$(signed "$base/api/2/json" '{"ops":[{"type":"create","obj":"task","conv_id":1002,"data":{"a":1}}]}')
expect "task in the built process" "$REQ" '"proc":"ok","obj":"task"'

# Seed 000, "Getting Corezoid object URL", then "Downloading Corezoid object by URL".
API_URL="$base/api/2/download"
OBJ_ID=1002; OBJ_TYPE=conv; COMPANY_ID=i814004545; ASYNC=true
TIMESTAMP=$(printf $(($(date +%s))))
BODY="{\"ops\":[{\"type\":\"get\",\"obj_type\":\"${OBJ_TYPE}\",\"obj\":\"obj_scheme\",\"obj_id\":${OBJ_ID},\"company_id\":\"${COMPANY_ID}\",\"async\":${ASYNC}}]}"
SIGNATURE=$(printf "${TIMESTAMP}${API_KEY_SECRET}${BODY}${API_KEY_SECRET}" | openssl dgst -sha1 | awk '{printf $NF}')
REQ=$(curl --silent -XPOST "${API_URL}/${API_KEY_LOGIN}/${TIMESTAMP}/${SIGNATURE}" --data "${BODY}")
expect "get object URL (seed 000)" "$REQ" '"download_url":"http'
DOWNLOAD_URL=$(grep -o '"download_url":"[^"]*"' <<<"$REQ" | cut -d'"' -f4)
curl --silent --fail -o "$work/exported.json" "$DOWNLOAD_URL" || fail "download $DOWNLOAD_URL"
"$convey" inspect "$work/exported.json" > "$work/inspect.out" || fail "the export does not load: $(cat "$work/inspect.out")"
echo "ok: the export loads in convey inspect"

# Seed 000, "Uploading Corezoid object": the export back, under a new id.
sed 's/"obj_id":1002/"obj_id":1003/' "$work/exported.json" > "$work/test.json"
API_URL="$base/api/2/upload"
FOLDER_ID=0; ASYNC=false; FILE_DIR_PATH=$work; FILE_NAME=test.json; CONTENT_TYPE=application/json
TMP_FILE_PATH="$work/gen_signature"
FILE_PATH="${FILE_DIR_PATH}/${FILE_NAME}"
TIMESTAMP=$(printf $(($(date +%s))))
BODY="Content-Disposition: form-data; name=\"type\"\r\ncreateContent-Disposition: form-data; name=\"obj\"\r\nobj_schemeContent-Disposition: form-data; name=\"folder_id\"\r\n${FOLDER_ID}Content-Disposition: form-data; name=\"async\"\r\n${ASYNC}Content-Disposition: form-data; name=\"company_id\"\r\n${COMPANY_ID}Content-Disposition: form-data; name=\"scheme\"; filename=\"${FILE_NAME}\"\r\nContent-Type: ${CONTENT_TYPE}\r\n"
printf "${TIMESTAMP}${API_KEY_SECRET}${BODY}" > "$TMP_FILE_PATH"
cat "$FILE_PATH" >> "$TMP_FILE_PATH"
printf "${API_KEY_SECRET}" >> "$TMP_FILE_PATH"
SIGNATURE=$(openssl dgst -sha1 $TMP_FILE_PATH | awk '{printf $NF}')
REQ=$(curl --silent -XPOST "${API_URL}/${API_KEY_LOGIN}/${TIMESTAMP}/${SIGNATURE}" \
  --header "Content-Type: multipart/form-data" \
  --form "type=create" \
  --form "obj=obj_scheme" \
  --form "folder_id=${FOLDER_ID}" \
  --form "async=${ASYNC}" \
  --form "company_id=${COMPANY_ID}" \
  --form "scheme=@${FILE_PATH};type=${CONTENT_TYPE}")
expect "upload (seed 000)" "$REQ" '"conv_ids":\[1003\]'
REQ=$(signed "$base/api/2/json" '{"ops":[{"type":"get","obj":"obj_scheme","obj_id":1003,"obj_type":"conv"}]}')
expect "the upload exports as it was" "$REQ" "\"to_node_id\":\"$FINAL\""
echo "all recipes passed"
