# Shared by the Linux hook scripts. HookScript.from_file() inlines this file at the line of a
# script that includes it, so each SSM document is self-contained; run locally, the
# scripts source it from beside them. Values come only from SSM_<Name> environment variables
# (interpolationType ENV_VAR, SSM Agent 3.3.2746 or later), never from document interpolation.
# shellcheck shell=bash

HOOK_NAME="${HOOK_NAME:-hook}"
HOOK_STARTED_AT="$SECONDS"

# One timestamped line per event, on stdout, which SSM captures.
log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$HOOK_NAME" "$*"; }

die() {
  log "FAILED: $*"
  exit 1
}

elapsed() { printf '%s' "$((SECONDS - HOOK_STARTED_AT))"; }

# require_env NAME...: fail when a variable is missing; older agents do not set SSM_<Name>.
require_env() {
  local name
  for name in "$@"; do
    [ -n "${!name+x}" ] || die "$name is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later"
  done
}

# whole_number NAME VALUE: fail unless VALUE (read from parameter NAME) is a whole number.
whole_number() {
  [[ "$2" =~ ^(0|[1-9][0-9]*)$ ]] || die "$1 must be a whole number; got '$2'"
}

# port_open PORT: something accepts TCP connections on localhost:PORT.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# url_port URL: the port an http(s) URL points at.
url_port() {
  local rest="${1#*://}"
  rest="${rest%%/*}"
  if [[ "$rest" == *:* ]]; then
    printf '%s' "${rest##*:}"
  elif [[ "$1" == https://* ]]; then
    printf '443'
  else
    printf '80'
  fi
}

# run_bounded SECONDS LABEL COMMAND: run a configured command with a time limit; on failure log its
# last output lines and fail.
run_bounded() {
  local limit="$1" label="$2" command="$3" output status=0
  output="$(mktemp)"
  timeout --kill-after=5 "$limit" bash -c "$command" >"$output" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 20 "$output" | while IFS= read -r line; do log "$label output: $line"; done
    rm -f "$output"
    [ "$status" -eq 124 ] && die "$label command timed out after ${limit}s: $command"
    die "$label command failed with exit code $status: $command"
  fi
  rm -f "$output"
}
