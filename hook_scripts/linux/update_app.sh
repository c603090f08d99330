#!/usr/bin/env bash
# Post-install hook: update the application itself, after OS patches and before any reboot.
#
# Parameters (SSM_<Name> environment variables):
#   LinuxServiceName      the app, for the log and its run lock             required
#   LinuxUpdateCommand    the update step (no shell); empty: nothing to do  default none
#   UpdateTimeoutSeconds  limit for LinuxUpdateCommand                      default 600
#   LinuxVerifyCommand    proves the update worked, e.g. a version check    default none
#   VerifyTimeoutSeconds  limit for LinuxVerifyCommand                      default 60
set -euo pipefail
HOOK_NAME=update_app
# shellcheck source=SCRIPTDIR/lib/hook_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/hook_common.sh"  # hook:include lib/hook_common.sh

require_env SSM_LinuxServiceName
service="${SSM_LinuxServiceName:-}"
service_name SSM_LinuxServiceName "$service"
update_command="${SSM_LinuxUpdateCommand:-}"
update_timeout="${SSM_UpdateTimeoutSeconds:-600}"
whole_number SSM_UpdateTimeoutSeconds "$update_timeout"
verify_command="${SSM_LinuxVerifyCommand:-}"
verify_timeout="${SSM_VerifyTimeoutSeconds:-60}"
whole_number SSM_VerifyTimeoutSeconds "$verify_timeout"

if [ -z "$update_command" ]; then
  log "no update command configured for $service; nothing to do"
  exit 0
fi

prepare_run_dir
claim_run_lock "$service"
log "updating $service: $update_command (up to ${update_timeout}s)"
run_bounded "$update_timeout" update "$service" "$update_command"
verified="update command exited 0; no verify command"
if [ -n "$verify_command" ]; then
  log "verifying the update: $verify_command"
  run_bounded "$verify_timeout" verify "$service" "$verify_command"
  verified="update and verify commands exited 0"
fi
log "$service updated after $(elapsed) s (verified: $verified)"
metric "$service" UpdateSeconds "$(elapsed)"
