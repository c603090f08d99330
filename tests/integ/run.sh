#!/usr/bin/env bash
# make integ [TESTS="integ_brake ..."], or run.sh [--check] [name ...]: deploy each integration test
# (tests/integ/integ_*.py; by default all but the optional Windows one) to the account and region of the
# environment. Its assertions are integ-tests-alpha custom resources, so the deploy runs them and fails if one
# fails; each test is destroyed after, whatever happened. (integ-runner itself can't read this aws-cdk-lib's
# cloud assemblies: see docs/testing.md.) --check only checks that an account is set and the tests named exist.
set -euo pipefail
cd "$(dirname "$0")/../.."

check=false
if [ "${1:-}" = --check ]; then
  check=true
  shift
fi
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
credentials="${AWS_ACCESS_KEY_ID:-}${AWS_PROFILE:-}${AWS_WEB_IDENTITY_TOKEN_FILE:-}"
credentials+="${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}"
if [ -f "${AWS_SHARED_CREDENTIALS_FILE:-${HOME:-/nonexistent}/.aws/credentials}" ]; then
  credentials+="default-profile"
fi
if [ -z "$region" ] || [ -z "$credentials" ]; then
  echo "make integ needs an AWS account: set AWS_REGION and credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); nothing was deployed" >&2
  exit 2
fi

# Names come as arguments, or in TESTS from make (read here as words: make never puts them in a command line).
tests=("$@")
if [ "${#tests[@]}" -eq 0 ] && [ -n "${TESTS:-}" ]; then
  read -r -a tests <<<"$TESTS"
fi
if [ "${#tests[@]}" -eq 0 ]; then
  for test in tests/integ/integ_*.py; do
    name="$(basename "$test" .py)"
    [[ "$name" == integ_windows_* ]] || tests+=("$name")
  done
fi
for name in "${tests[@]}"; do
  if ! [[ "$name" =~ ^integ_[a-z0-9_]+$ ]] || [ ! -f "tests/integ/$name.py" ]; then
    echo "make integ: no integration test $name (tests/integ/integ_*.py); nothing was deployed" >&2
    exit 2
  fi
done
if [ "$check" = true ]; then
  printf '%s\n' "${tests[@]}"
  exit 0
fi

cdk=node_modules/.bin/cdk
status=0
app=""
destroy() {
  "$cdk" destroy --all --app "$app" --force --no-notices || status=1
}
# Interrupted, the test being deployed is destroyed before leaving (the brake's canary opens every quarter hour).
trap 'echo "make integ: interrupted; destroying $app" >&2; destroy; exit 130' INT TERM
for name in "${tests[@]}"; do
  app=".venv/bin/python -m tests.integ.$name"
  echo "== $name in $region"
  "$cdk" deploy --all --app "$app" --require-approval never --no-notices || status=1
  destroy
done
exit "$status"
