#!/usr/bin/env bash
# Install test: what a user installs works on its own. Packs every package (as `pnpm publish` would),
# checks the tarballs, then in a fresh project outside the workspace installs the tarballs with npm
# (third-party dependencies from the registry), type-checks the examples under strict TypeScript
# (skipLibCheck off, so our .d.ts files are checked too) and runs them on the local and memory
# drivers, and on SQS when moto_server is on PATH (required with CI=true).
# Fails on a missing file, a wrong export, an undeclared dependency or a broken example.
# Run after a build (`pnpm build`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/anyqueue-install-test.XXXXXX")
moto_pid=""
redis_pid=""
cleanup() {
  if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; fi
  if [[ -n "$redis_pid" ]]; then kill "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
started=$SECONDS

mkdir -p "$work/tarballs" "$work/app"
(cd "$root" && node_modules/.bin/pnpm -r pack --pack-destination "$work/tarballs" >/dev/null)
echo "install-test: packed in $((SECONDS - started)) s"
node "$root/scripts/install-test/check-tarballs.mjs" "$work/tarballs" "$root/LICENSE"
# The README's example is examples/quickstart.ts (after its comment header), so it runs below.
node -e '
  const fs = require("node:fs")
  const code = fs.readFileSync(process.argv[1], "utf8").replace(/^(\/\/.*\n)+\n?/, "")
  if (!fs.readFileSync(process.argv[2], "utf8").includes("```ts\n" + code + "```")) {
    console.error("install-test: README.md no longer shows examples/quickstart.ts verbatim"); process.exit(1)
  }' "$root/examples/quickstart.ts" "$root/README.md"

tarball() { ls "$work"/tarballs/anyqueue-"$1"-*.tgz; }
cd "$work/app"
cat > package.json <<'JSON'
{ "name": "anyqueue-install-test", "private": true, "type": "module" }
JSON
# What a user types: core, the adapters, the SQS SDK; TypeScript and Node types for the typecheck.
typescript=$(node -p "require('$root/node_modules/typescript/package.json').version")
npm install --no-audit --no-fund --loglevel=error \
  "$(tarball queue-core)" "$(tarball queue-local)" "$(tarball queue-memory)" "$(tarball queue-sqs)" "$(tarball dashboard)" "$(tarball cli)" \
  "$(tarball queue-redis)" ioredis@5 "$(tarball queue-postgres)" pg @types/pg \
  @aws-sdk/client-sqs @aws-sdk/client-sns "typescript@$typescript" "@types/node@20"
cp "$root"/examples/*.ts "$root/scripts/install-test/tsconfig.json" .
# The Redis and PostgreSQL drivers' README examples, verbatim (each first ts block), type-checked and run below.
node -e '
  const readme = require("node:fs").readFileSync(process.argv[1], "utf8")
  process.stdout.write(/```ts\n([\s\S]*?)```/.exec(readme)[1])' "$root/packages/queue-redis/README.md" >redis-readme.ts
node -e '
  const readme = require("node:fs").readFileSync(process.argv[1], "utf8")
  process.stdout.write(/```ts\n([\s\S]*?)```/.exec(readme)[1])' "$root/packages/queue-postgres/README.md" >postgres-readme.ts
echo "install-test: installed in $((SECONDS - started)) s"
npx tsc -p tsconfig.json
echo "install-test: the examples type-check (strict, skipLibCheck off) against the installed packages"

anyqueue() { node_modules/.bin/anyqueue "$@"; }
run() {
  echo "install-test: [$((SECONDS - started)) s] $*"
  node "dist/$1" "${@:2}"
}
for example in job-queue errors graceful-shutdown fan-out; do
  run "$example.js" "local:$work/data?createIfMissing=true"
  run "$example.js" "memory:?createIfMissing=true&leaseSeconds=5"
done
run testing.js
run custom-driver.js
echo "install-test: the anyqueue bin"
anyqueue "local:$work/cli" create jobs >/dev/null
anyqueue "local:$work/cli" send jobs '{"n":1}' --type json >/dev/null
count=$(anyqueue "local:$work/cli" count jobs)
[[ "$count" == "1 visible, 0 in flight, 0 delayed"* ]] || { echo "install-test: anyqueue count says '$count', not 1 visible" >&2; exit 1; }
(mkdir -p quickstart && cd quickstart && node ../dist/quickstart.js)

if command -v moto_server >/dev/null; then
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  for _ in $(seq 100); do
    if node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then break; fi
    sleep 0.1
  done
  # The SDK warns on Node < 22 about its releases after January 2027; the adapter supports Node 20.
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
  # errors.ts opens without createIfMissing: it shows creating the queue on QUEUE_NOT_FOUND.
  run errors.js "sqs://127.0.0.1:$port?region=us-east-1"
  run job-queue.js "sqs://127.0.0.1:$port?region=us-east-1&createIfMissing=true"
  # One handler under consume() and as the Lambda handler of an SQS event source mapping.
  run triggers.js "sqs://127.0.0.1:$port?region=us-east-1&createIfMissing=true"
  echo "install-test: the anyqueue bin on SQS"
  sqs="sqs://127.0.0.1:$port?region=us-east-1"
  anyqueue "$sqs" create cli-jobs >/dev/null
  anyqueue "$sqs" send cli-jobs 'hello from the cli' >/dev/null
  [[ "$(anyqueue "$sqs" receive cli-jobs --json | node -p 'JSON.parse(require("fs").readFileSync(0)).payload')" == "hello from the cli" ]] ||
    { echo "install-test: anyqueue receive on SQS did not return the message" >&2; exit 1; }
  anyqueue "$sqs" delete cli-jobs --yes >/dev/null
elif [[ "${CI:-}" == "true" ]]; then
  echo "install-test: moto_server is not on PATH; CI needs it for the SQS example" >&2
  exit 1
else
  echo "install-test: moto_server is not on PATH; skipped the SQS example"
fi
# Redis: REDIS_URL when set, else Debian's redis-server as a child on a free port in its own dir
# (the order of the conformance suite's resolver, less Docker); required with CI=true.
redis_url="${REDIS_URL:-}"
if [[ -z "$redis_url" ]] && command -v redis-server >/dev/null; then
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  mkdir -p "$work/redis"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis" --save '' >"$work/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    if node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then break; fi
    sleep 0.1
  done
  redis_url="redis://127.0.0.1:$port"
fi
if [[ -n "$redis_url" ]]; then
  REDIS_URL="$redis_url" run redis-readme.js
  run job-queue.js "$redis_url?createIfMissing=true&prefix=install-test:"
  run fan-out.js "$redis_url?createIfMissing=true&prefix=install-test:"
elif [[ "${CI:-}" == "true" ]]; then
  echo "install-test: redis-server is not on PATH and REDIS_URL is not set; CI needs one for the Redis example" >&2
  exit 1
else
  echo "install-test: no redis-server; skipped the Redis example"
fi
echo "install-test: queue-postgres's README example and job-queue.ts on PostgreSQL (required with CI=true)"
node "$root/scripts/install-test/with-postgres.mjs" "$root/packages/conformance/dist/backends/index.js" \
  sh -c 'node dist/postgres-readme.js && node dist/job-queue.js "$DATABASE_URL?createIfMissing=true"'
echo "install-test: passed in $((SECONDS - started)) s"
