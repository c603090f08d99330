#!/usr/bin/env bash
# On-exit hook: start the application and verify it is healthy. It runs on every Install path
# (after a reboot, with no reboot, after a failed hook or install), so it is idempotent:
# a running, healthy app is left alone.
#
# Parameters (SSM_<Name> environment variables):
#   ServiceName            systemd unit (or label, with pidfile)            required
#   ServiceManager         service (systemd) or pidfile                     default service
#   PidFile, StartCommand  with pidfile: where the pid goes, how to start
#   HealthUrl              http(s) URL to poll; or HealthPort               one of the two
#   ExpectedStatus         HTTP status that means healthy                   default 200
#   HealthPort             TCP port that must accept connections
#   StartTimeoutSeconds    how long to wait for health                      default 120
#   HealthIntervalSeconds  pause between checks                             default 2
set -euo pipefail
HOOK_NAME=start_app_and_verify
# shellcheck source=SCRIPTDIR/lib/hook_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/hook_common.sh"  # hook:include lib/hook_common.sh
# shellcheck source=SCRIPTDIR/lib/service_manager.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/service_manager.sh"  # hook:include lib/service_manager.sh

load_service_settings
health_url="${SSM_HealthUrl:-}"
health_port="${SSM_HealthPort:-}"
expected_status="${SSM_ExpectedStatus:-200}"
start_timeout="${SSM_StartTimeoutSeconds:-120}"
whole_number SSM_StartTimeoutSeconds "$start_timeout"
interval="${SSM_HealthIntervalSeconds:-2}"
whole_number SSM_HealthIntervalSeconds "$interval"
[ -n "$health_url" ] || [ -n "$health_port" ] || die "set HealthUrl or HealthPort to verify $SERVICE_NAME"
app_port="${health_port:-$(url_port "$health_url")}"
last_response="no check made"

# healthy: one health check; records what it saw in last_response.
healthy() {
  if [ -n "$health_url" ]; then
    local body error status
    body="$(mktemp)"
    error="$(mktemp)"
    status="$(curl --silent --show-error --max-time 5 --output "$body" --write-out '%{http_code}' "$health_url" 2>"$error")" || true
    if [ "${status:-000}" = 000 ]; then
      last_response="no HTTP answer ($(head -c 200 "$error" | tr -s '\n' ' ' | sed 's/ *$//'))"
    else
      last_response="HTTP $status: $(head -c 200 "$body" | tr -s '\n' ' ' | sed 's/ *$//')"
    fi
    rm -f "$body" "$error"
    [ "$status" = "$expected_status" ]
  else
    last_response="port $health_port refused the connection"
    port_open "$health_port" && last_response="port $health_port accepted a connection"
  fi
}

if service_running; then
  if healthy; then
    log "$SERVICE_NAME is already running and healthy ($last_response)"
    exit 0
  fi
  log "$SERVICE_NAME is running but not healthy yet ($last_response); waiting"
else
  if port_open "$app_port"; then
    die "port $app_port is already in use by another process; $SERVICE_NAME cannot start"
  fi
  log "starting $SERVICE_NAME"
  start_service "$start_timeout"
fi

# Checks start 50 ms apart and back off, doubling, to HealthIntervalSeconds: a quick start is seen at once.
# $SECONDS counts whole seconds, so "<=" waits at least the full timeout (and at most a second more).
deadline=$((SECONDS + start_timeout))
pauses=(0.05 0.1 0.2 0.4 0.8 "$interval")
step=0
while [ "$SECONDS" -le "$deadline" ]; do
  if healthy; then
    log "$SERVICE_NAME is healthy after $(elapsed)s ($last_response)"
    exit 0
  fi
  sleep "${pauses[step]}"
  if [ "$step" -lt $((${#pauses[@]} - 1)) ]; then step=$((step + 1)); fi
done
die "$SERVICE_NAME did not become healthy within ${start_timeout}s; last response: $last_response"
