#!/usr/bin/env bash
# Post-install hook: update the application itself, after OS patches and before any reboot.
# Parameters (SSM_<Name> environment variables, SSM Agent 3.3.2746 or later): ServiceName, UpdateCommand.
set -euo pipefail

log() { printf '%s update_app: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

service="${SSM_ServiceName:?SSM_ServiceName is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later}"
update_command="${SSM_UpdateCommand-}"

if [ -z "$update_command" ]; then
  log "no update command configured for $service; nothing to do"
  exit 0
fi
log "updating $service: $update_command"
bash -c "$update_command"
log "$service updated"
