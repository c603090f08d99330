#!/usr/bin/env bash
# Pre-install hook: stop the application gracefully before patches are installed.
# Parameters (SSM_<Name> environment variables, SSM Agent 3.3.2746 or later): ServiceName.
set -euo pipefail

log() { printf '%s stop_app_gracefully: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

service="${SSM_ServiceName:?SSM_ServiceName is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later}"

if ! systemctl is-active --quiet "$service"; then
  log "$service is already stopped"
  exit 0
fi
log "stopping $service"
systemctl stop "$service"
log "$service stopped"
