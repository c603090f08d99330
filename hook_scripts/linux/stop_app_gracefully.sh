#!/usr/bin/env bash
# Pre-install hook: stop the application gracefully before patches are installed.
# A failure here means AWS-RunPatchBaselineWithHooks installs nothing and runs on-exit.
#
# Parameters (SSM_<Name> environment variables):
#   ServiceName          systemd unit (or label, with pidfile)             required
#   ServiceManager       service (systemd) or pidfile                      default service
#   PidFile              pid file of the app, with pidfile
#   DrainCommand         run first, e.g. deregister from a load balancer    default none
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
drain_command="${SSM_DrainCommand:-}"
drain_timeout="${SSM_DrainTimeoutSeconds:-60}"
whole_number SSM_DrainTimeoutSeconds "$drain_timeout"
drain_seconds="${SSM_DrainSeconds:-0}"
whole_number SSM_DrainSeconds "$drain_seconds"
stop_timeout="${SSM_StopTimeoutSeconds:-60}"
whole_number SSM_StopTimeoutSeconds "$stop_timeout"
port="${SSM_Port:-}"
escalate="${SSM_EscalateToKill:-false}"

still_up() {
  service_running || { [ -n "$port" ] && port_open "$port"; }
}

# wait_stopped SECONDS: poll until the process is gone and the port closed. $SECONDS counts whole
# seconds, so "<=" waits at least the full timeout (and at most a second more).
wait_stopped() {
  local deadline=$((SECONDS + $1))
  while still_up; do
    [ "$SECONDS" -le "$deadline" ] || return 1
    sleep 1
  done
}

finish() {
  [ "$SERVICE_MANAGER" = pidfile ] && rm -f "$PID_FILE"
  log "$SERVICE_NAME stopped after $(elapsed)s"
  exit 0
}

if ! service_running; then
  log "$SERVICE_NAME is already stopped"
  exit 0
fi

if [ -n "$drain_command" ]; then
  log "draining $SERVICE_NAME: $drain_command"
  run_bounded "$drain_timeout" drain "$drain_command"
fi
if [ "$drain_seconds" -gt 0 ]; then
  log "waiting ${drain_seconds}s for connections to drain"
  sleep "$drain_seconds"
fi

log "stopping $SERVICE_NAME (up to ${stop_timeout}s)"
request_stop
wait_stopped "$stop_timeout" && finish

if [ "$escalate" = true ]; then
  log "$SERVICE_NAME did not stop within ${stop_timeout}s; sending SIGKILL"
  force_stop
  wait_stopped 10 && finish
fi
die "$SERVICE_NAME did not stop within ${stop_timeout}s${port:+ (port $port)}; set EscalateToKill=true to force it"
