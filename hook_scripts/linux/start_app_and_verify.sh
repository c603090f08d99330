#!/usr/bin/env bash
# On-exit hook: start the application and verify it is healthy. It runs on every Install path
# (after a reboot, with no reboot, after a failed hook or install), so it is idempotent:
# a running, healthy app is left alone.
#
# Parameters (SSM_<Name> environment variables):
#   LinuxServiceName       systemd unit (or label, with pidfile)            required
#   ServiceManager         service (systemd) or pidfile                     default service
#   LinuxStartCommand      with pidfile: the app's command line (no shell)
#   RunAs                  with pidfile: the user the app runs as           default root
#   Port                   the app's own TCP port: in use by another process, the app is not started
#                                                                           default none
#   HealthUrl              http(s) URL on a loopback address; or HealthPort one of the two
#   ExpectedStatus         HTTP status that means healthy                   default 200
#   HealthPort             TCP port that must accept connections
#   StartTimeoutSeconds    how long to wait for health                      default 120
#   HealthIntervalSeconds  longest pause between checks                     default 2
set -euo pipefail
HOOK_NAME=start_app_and_verify
# shellcheck source=SCRIPTDIR/lib/hook_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/hook_common.sh"  # hook:include lib/hook_common.sh
# shellcheck source=SCRIPTDIR/lib/service_manager.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/service_manager.sh"  # hook:include lib/service_manager.sh

load_service_settings
port="${SSM_Port:-}"
tcp_port SSM_Port "$port"
health_url="${SSM_HealthUrl:-}"
health_port="${SSM_HealthPort:-}"
tcp_port SSM_HealthPort "$health_port"
expected_status="${SSM_ExpectedStatus:-200}"
[[ "$expected_status" =~ ^[1-5][0-9]{2}$ ]] || die "ExpectedStatus must be an HTTP status; got '$expected_status'"
start_timeout="${SSM_StartTimeoutSeconds:-120}"
whole_number SSM_StartTimeoutSeconds "$start_timeout"
interval="${SSM_HealthIntervalSeconds:-2}"
whole_number SSM_HealthIntervalSeconds "$interval"
[ -n "$health_url" ] || [ -n "$health_port" ] || die "set HealthUrl or HealthPort to verify $SERVICE_NAME"
# Only this instance's loopback addresses: never another host, never the instance metadata address.
loopback_url='^https?://(127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|localhost|\[::1\])(:[0-9]{1,5})?(/[A-Za-z0-9._~%/?=&+-]*)?$'
[ -z "$health_url" ] || [[ "$health_url" =~ $loopback_url ]] ||
  die "HealthUrl must be an http(s) URL on a loopback address (127.0.0.1, localhost or [::1]); got '$health_url'"
last_response="no check made"

# healthy: one health check; records in last_response what it saw: the status, never the body. The URL
# is loopback only, so no proxy is used, redirects are not followed, and an https certificate is not
# verified (as load balancers' health checks do).
healthy() {
  if [ -n "$health_url" ]; then
    local answer status
    # -q first: no .curlrc may add options (a redirect to follow, a proxy).
    answer="$(curl -q --silent --show-error --max-time 5 --noproxy '*' --proto '=http,https' --insecure \
      --output /dev/null --write-out '\n%{http_code}' -- "$health_url" 2>&1)" || true
    status="${answer##*$'\n'}"
    if [ "${status:-000}" = 000 ]; then
      last_response="no HTTP answer ($(printf '%s' "${answer%$'\n'*}" | head -n 1 | tr -dc 'A-Za-z0-9 .:,()_-' | cut -c1-160))"
    else
      last_response="HTTP $status"
    fi
    [ "$status" = "$expected_status" ]
  else
    last_response="port $health_port refused the connection"
    port_open "$health_port" && last_response="port $health_port accepted a connection"
  fi
}

STATE="$(service_state)"
case "${STATE%% *}" in
  running)
    if healthy; then
      log "$SERVICE_NAME is already running and healthy (${STATE#* }; $last_response)"
      exit 0
    fi
    log "$SERVICE_NAME is running but not healthy yet (${STATE#* }; $last_response); waiting" ;;
  stopped | unrecorded)
    if [ -n "$port" ] && port_open "$port"; then
      die "port $port is already in use by another process; $SERVICE_NAME cannot start (${STATE#* })"
    fi
    # A health check that passes before the app starts is answered by something else: its answer would
    # prove nothing about the app (an app started outside the hooks is not recorded).
    if healthy; then
      die "the health check passes while $SERVICE_NAME is not running ($last_response): another process answers it; stop that process, or let the hooks start the app (${STATE#* })"
    fi
    log "starting $SERVICE_NAME (${STATE#* })"
    start_service "$start_timeout" ;;
  *) die "cannot tell whether $SERVICE_NAME runs: ${STATE#* }" ;;
esac

# Checks start 50 ms apart and back off, doubling, to HealthIntervalSeconds: a quick start is seen at once.
# An app that stops meanwhile fails the hook at once. $SECONDS counts whole seconds, so "<=" waits at
# least the full timeout (and at most a second more).
deadline=$((SECONDS + start_timeout))
pauses=(0.05 0.1 0.2 0.4 0.8 "$interval")
step=0
while [ "$SECONDS" -le "$deadline" ]; do
  # The app must run before a healthy answer counts: another process answering on the URL is not the app.
  STATE="$(service_state)"
  [ "${STATE%% *}" = running ] || die "$SERVICE_NAME is not running while waiting for health (${STATE#* }); last response: $last_response"
  if healthy; then
    log "$SERVICE_NAME is healthy after $(elapsed) s (${STATE#* }; $last_response)"
    metric "$SERVICE_NAME" TimeToHealthySeconds "$(elapsed)"
    exit 0
  fi
  sleep "${pauses[step]}"
  if [ "$step" -lt $((${#pauses[@]} - 1)) ]; then step=$((step + 1)); fi
done
die "$SERVICE_NAME did not become healthy within ${start_timeout}s; last response: $last_response"
