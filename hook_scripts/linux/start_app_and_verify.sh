#!/usr/bin/env bash
# On-exit hook: start the application and verify it is healthy. Runs on every Install path
# (after a reboot, with no reboot, and after a failed hook or install), so it must be idempotent.
# Parameters (SSM_<Name> environment variables, SSM Agent 3.3.2746 or later): ServiceName, HealthUrl.
set -euo pipefail

log() { printf '%s start_app_and_verify: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

service="${SSM_ServiceName:?SSM_ServiceName is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later}"
health_url="${SSM_HealthUrl:?SSM_HealthUrl is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later}"

if systemctl is-active --quiet "$service"; then
  log "$service is already running"
else
  log "starting $service"
  systemctl start "$service"
fi

for attempt in $(seq 1 30); do
  if curl --silent --fail --max-time 5 --output /dev/null "$health_url"; then
    log "$service is healthy at $health_url (attempt $attempt)"
    exit 0
  fi
  sleep 2
done
log "$service did not become healthy at $health_url within 60 seconds"
exit 1
