#!/usr/bin/env bash
# Pre-install hook: stop the application gracefully before patches are installed.
# A failure here means AWS-RunPatchBaselineWithHooks installs nothing and runs on-exit.
#
# Parameters (SSM_<Name> environment variables):
#   LinuxServiceName     systemd unit (or label, with pidfile)             required
#   ServiceManager       service (systemd) or pidfile (the process the start hook recorded)
#                                                                           default service
#   LinuxDrainCommand    run first, e.g. deregister from a load balancer    default none
#   DrainTimeoutSeconds  limit for DrainCommand                             default 60
#   DrainSeconds         wait after draining, for connections to finish    default 0
#   StopTimeoutSeconds   wait for the process to exit and its port to close default 60
#   Port                 TCP port that must close                           default none
#   EscalateToKill       true: SIGKILL after the timeout; false: fail       default false
set -euo pipefail
HOOK_NAME=stop_app_gracefully
# shellcheck source=SCRIPTDIR/lib/hook_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/hook_common.sh"  # hook:include lib/hook_common.sh
# shellcheck source=SCRIPTDIR/lib/service_manager.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/service_manager.sh"  # hook:include lib/service_manager.sh

load_service_settings
drain_command="${SSM_LinuxDrainCommand:-}"
drain_timeout="${SSM_DrainTimeoutSeconds:-60}"
whole_number SSM_DrainTimeoutSeconds "$drain_timeout"
drain_seconds="${SSM_DrainSeconds:-0}"
whole_number SSM_DrainSeconds "$drain_seconds"
stop_timeout="${SSM_StopTimeoutSeconds:-60}"
whole_number SSM_StopTimeoutSeconds "$stop_timeout"
port="${SSM_Port:-}"
tcp_port SSM_Port "$port"
escalate="${SSM_EscalateToKill:-false}"

# verified_stopped: true only with positive evidence that the app is down, which it leaves in EVIDENCE:
# the manager says stopped (or, with no process recorded, the port is closed), and a given port is closed.
# STATE holds what the manager last said.
verified_stopped() {
  STATE="$(service_state)"
  local kind="${STATE%% *}" why="${STATE#* }"
  if [ -n "$port" ]; then
    port_open "$port" && return 1
    why="$why, port $port closed"
  fi
  case "$kind" in
    stopped) EVIDENCE="$why" ;;
    # No record names no process; only a closed port then proves the app is down.
    unrecorded) [ -n "$port" ] || return 1
      EVIDENCE="$why" ;;
    *) return 1 ;;
  esac
}

# wait_stopped SECONDS: poll, quickly at first (50 ms, doubling to 1 s), until verified_stopped. $SECONDS
# counts whole seconds, so "<=" waits at least the full timeout (and at most a second more).
wait_stopped() {
  local deadline=$((SECONDS + $1)) step=0
  local -a pauses=(0.05 0.1 0.2 0.4 0.8 1)
  until verified_stopped; do
    [ "$SECONDS" -le "$deadline" ] || return 1
    sleep "${pauses[step]}"
    if [ "$step" -lt $((${#pauses[@]} - 1)) ]; then step=$((step + 1)); fi
  done
  return 0
}

finish() {
  if [ "$SERVICE_MANAGER" = pidfile ]; then rm -f -- "$PID_FILE"; fi
  log "$SERVICE_NAME stopped after $(elapsed) s (verified: $EVIDENCE)"
  metric "$SERVICE_NAME" StopSeconds "$(elapsed)"
  exit 0
}

# last_seen: what the last check saw, for a failure message.
last_seen() {
  local seen="${STATE#* }"
  if [ -n "$port" ]; then
    if port_open "$port"; then seen="$seen, port $port open"; else seen="$seen, port $port closed"; fi
  fi
  printf '%s' "$seen"
}

if verified_stopped; then
  log "$SERVICE_NAME is already stopped (verified: $EVIDENCE)"
  exit 0
fi
case "${STATE%% *}" in
  unknown) die "cannot tell whether $SERVICE_NAME runs: $(last_seen)" ;;
  unrecorded)
    hint="set Port so a closed port can prove it is stopped"
    [ -n "$port" ] && hint="it was not started by the start hook, so this hook will not signal it"
    die "cannot tell whether $SERVICE_NAME runs: $(last_seen); $hint" ;;
esac

if [ -n "$drain_command" ]; then
  log "draining $SERVICE_NAME: $drain_command"
  run_bounded "$drain_timeout" drain "$SERVICE_NAME" "$drain_command"
fi
if [ "$drain_seconds" -gt 0 ]; then
  log "waiting ${drain_seconds}s for connections to drain"
  sleep "$drain_seconds"
fi

log "stopping $SERVICE_NAME (up to ${stop_timeout}s)"
signal_app TERM
wait_stopped "$stop_timeout" && finish

if [ "$escalate" = true ]; then
  log "$SERVICE_NAME did not stop within ${stop_timeout}s; sending SIGKILL"
  signal_app KILL
  wait_stopped 10 && finish
fi
die "$SERVICE_NAME did not stop within ${stop_timeout}s (last seen: $(last_seen)); set EscalateToKill=true to force it"
