# Shared by the Linux hook scripts. HookScript.from_file() inlines this file at the line of a
# script that includes it, so each SSM document is self-contained; run locally, the
# scripts source it from beside them. Values come only from SSM_<Name> environment variables
# (interpolationType ENV_VAR, SSM Agent 3.3.2746 or later), never from document interpolation,
# and no value is ever run as shell code: commands are split into words and run without a shell.
# shellcheck shell=bash

HOOK_NAME="${HOOK_NAME:-hook}"
HOOK_STARTED_AT="$SECONDS"
# The hooks' own folder: pid records, locks, the app's log and command output live here and nowhere
# else. The agent's environment (root's) may move it; document parameters cannot.
HOOK_RUN_DIR="${PATCH_HOOKS_RUN_DIR:-/run/patch-hooks}"
# How long a hook waits for another run on the same app to end before failing.
HOOK_LOCK_WAIT_SECONDS="${PATCH_HOOKS_LOCK_WAIT_SECONDS:-30}"
HOOK_REPORTED_FAILURE=""

# One timestamped line per event, on stdout, which SSM captures.
log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$HOOK_NAME" "$*"; }

# Metric lines (patch-hook-metric <hook> <service> <name> <seconds>) go to the error stream, where a hook that
# succeeds writes nothing else (commands' output goes to files or is captured): SSM Agent ships each stream to
# CloudWatch Logs as events of whatever a second brought, and a metric filter reads a line only at the start
# of an event.
metric() { printf 'patch-hook-metric %s %s %s %s\n' "$HOOK_NAME" "$1" "$2" "$3" >&2; }

die() {
  HOOK_REPORTED_FAILURE=1
  log "FAILED: $*"
  exit 1
}

# Every failure ends with one FAILED line, also an unexpected one that set -e ends the script on.
HOOK_LAST_ERROR=""
trap 'HOOK_LAST_ERROR="line $LINENO: $BASH_COMMAND (exit $?)"' ERR
report_unexpected_exit() {
  local status="$1"
  if [ "$status" -ne 0 ] && [ -z "$HOOK_REPORTED_FAILURE" ]; then
    log "FAILED: stopped unexpectedly with exit status $status${HOOK_LAST_ERROR:+ at $HOOK_LAST_ERROR}"
  fi
}
trap 'report_unexpected_exit "$?"' EXIT
# SSM cancelling the command, or its step timeout passing, sends SIGTERM: say so before ending.
trap 'die "stopped by a signal (the command was cancelled or its step timeout passed)"' TERM INT HUP

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
  [[ "$2" =~ ^(0|[1-9][0-9]{0,5})$ ]] || die "$1 must be a whole number; got '$2'"
}

# service_name NAME VALUE: fail unless VALUE names an app safely as a file name in the run folder.
service_name() {
  [[ "$2" =~ ^[A-Za-z0-9@_:-][A-Za-z0-9@_.:-]{0,199}$ ]] ||
    die "$1 must be 1 to 200 characters from A-Z, a-z, 0-9, @, _, ., : and -, not starting with a dot; got '$2'"
}

# tcp_port NAME VALUE: fail unless VALUE is empty or a TCP port, 1 to 65535.
tcp_port() {
  [ -z "$2" ] && return 0
  [[ "$2" =~ ^[1-9][0-9]{0,4}$ ]] && [ "$2" -le 65535 ] || die "$1 must be a TCP port from 1 to 65535; got '$2'"
}

# port_open PORT: something listens on localhost:PORT, IPv4 or IPv6. Only a refused connection counts as
# closed (and, for ::1, a host without IPv6): a listener too busy to answer within 2 s, or any other
# error, is open. The port is an argument of the inner shell, never part of its code.
port_open() {
  local host answer
  for host in 127.0.0.1 ::1; do
    # shellcheck disable=SC2016  # $1 and $2 are expanded by the inner shell
    answer="$(LC_ALL=C timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' port_open "$host" "$1" 2>&1)" && return 0
    case "$answer" in
      *"Connection refused"*) ;;
      *"Cannot assign requested address"* | *"Network is unreachable"* | *"Address family not supported"*)
        [ "$host" = ::1 ] || return 0 ;;
      *) return 0 ;;
    esac
  done
  return 1
}

# prepare_run_dir: create HOOK_RUN_DIR (mode 0700) and refuse it unless it is a real folder owned by
# this user that nobody else may write, so nobody else can plant a file or link in it.
prepare_run_dir() {
  if [ ! -e "$HOOK_RUN_DIR" ]; then
    (umask 077 && mkdir -p -- "$HOOK_RUN_DIR") 2>/dev/null || die "cannot create the run folder $HOOK_RUN_DIR"
  fi
  [ -d "$HOOK_RUN_DIR" ] && [ ! -L "$HOOK_RUN_DIR" ] || die "run folder $HOOK_RUN_DIR is not a folder (or is a link)"
  [ "$(stat -c %u -- "$HOOK_RUN_DIR")" = "$(id -u)" ] ||
    die "run folder $HOOK_RUN_DIR belongs to uid $(stat -c %u -- "$HOOK_RUN_DIR"), not to $(id -un); refusing it"
  [ -z "$(find "$HOOK_RUN_DIR" -maxdepth 0 -perm /022)" ] ||
    die "run folder $HOOK_RUN_DIR is writable by others (mode $(stat -c %a -- "$HOOK_RUN_DIR")); refusing it"
}

# run_file NAME SUFFIX: NAME's file in the run folder, in RUN_FILE; fail if something planted a link there.
# (It sets a variable, not stdout: a die inside $(...) would lose its FAILED line.)
run_file() {
  RUN_FILE="$HOOK_RUN_DIR/$1.$2"
  [ ! -L "$RUN_FILE" ] || die "$RUN_FILE is a symbolic link; refusing to follow it"
}

# claim_run_lock NAME: one hook run at a time per app on this instance (flock), waiting up to
# HOOK_LOCK_WAIT_SECONDS for another to end. The lock file names its holder.
claim_run_lock() {
  run_file "$1" lock
  local lock="$RUN_FILE"
  exec {HOOK_LOCK_FD}>>"$lock"
  if ! flock --wait "$HOOK_LOCK_WAIT_SECONDS" "$HOOK_LOCK_FD"; then
    die "another hook run for $1 holds $lock ($(head -c 200 "$lock" | tr -dc 'A-Za-z0-9 _.:-')) and did not end within ${HOOK_LOCK_WAIT_SECONDS}s"
  fi
  printf '%s pid %s since %s\n' "$HOOK_NAME" "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"/dev/fd/$HOOK_LOCK_FD"
}

# split_command COMMAND: the command's words in COMMAND_WORDS. Words are split at spaces; nothing is
# expanded or globbed, and there is no shell: a value can never run code it does not name.
split_command() {
  read -r -a COMMAND_WORDS <<<"$1"
  [ "${#COMMAND_WORDS[@]}" -gt 0 ] || die "the command is empty"
}

# run_bounded SECONDS LABEL NAME COMMAND: run a configured command without a shell, with a time limit
# (its whole process group is ended on time-out); on failure log its last output lines and fail.
run_bounded() {
  local limit="$1" label="$2" status=0
  run_file "$3" "$label.out"
  local output="$RUN_FILE"
  split_command "$4"
  timeout --kill-after=5 "$limit" "${COMMAND_WORDS[@]}" >"$output" 2>&1 </dev/null {HOOK_LOCK_FD}>&- || status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 20 "$output" | while IFS= read -r line; do log "$label output: $line"; done
    rm -f -- "$output"
    [ "$status" -eq 124 ] && die "$label command timed out after ${limit}s: $4"
    die "$label command failed with exit code $status: $4"
  fi
  rm -f -- "$output"
}
