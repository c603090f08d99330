# The service-manager seam shared by the stop and start hooks: "service" drives systemd; "pidfile"
# drives a process the start hook launched with StartCommand and recorded, for hosts without systemd.
# HookScript.from_file() inlines this file at the line of a script that includes it.
#
# The record, <run folder>/<ServiceName>.pid, holds "<pid> <start time> <boot id>": the process's start
# time (clock ticks after boot, /proc/<pid>/stat field 22) and the boot it ran in identify it, so a pid
# reused by another process, or one from before a reboot, is never taken for the app nor signalled.
# The app runs in a session of its own whose id is that pid: while any process of the session lives (the
# app's children, a wrapper's payload) the app runs, and signals go to every one of them. The kernel never
# reuses a pid while a session of that id exists, so a reused pid means the session is gone.
# shellcheck shell=bash disable=SC2034  # sets globals that the including scripts read

# load_service_settings: read and check the service settings, prepare the run folder and take the app's
# run lock.
load_service_settings() {
  require_env SSM_LinuxServiceName
  SERVICE_NAME="${SSM_LinuxServiceName:-}"
  service_name SSM_LinuxServiceName "$SERVICE_NAME"
  SERVICE_MANAGER="${SSM_ServiceManager:-service}"
  START_COMMAND="${SSM_LinuxStartCommand:-}"
  RUN_AS="${SSM_RunAs:-}"
  case "$SERVICE_MANAGER" in
    service) command -v systemctl >/dev/null || die "ServiceManager service needs systemctl; use pidfile on hosts without systemd" ;;
    pidfile) ;;
    *) die "ServiceManager must be service or pidfile; got '$SERVICE_MANAGER'" ;;
  esac
  prepare_run_dir
  run_file "$SERVICE_NAME" pid
  PID_FILE="$RUN_FILE"
  claim_run_lock "$SERVICE_NAME"
}

# process_start PID: the process's start time in clock ticks after boot; fails when it has gone.
process_start() {
  local line rest
  local -a fields
  read -r line 2>/dev/null </proc/"$1"/stat || return 1
  rest="${line##*) }"
  read -r -a fields <<<"$rest"
  printf '%s' "${fields[19]}"
}

# process_alive PID: the process exists and has not exited (an exited process nothing has reaped yet, a
# zombie, has stopped).
process_alive() {
  local line rest
  read -r line 2>/dev/null </proc/"$1"/stat || return 1
  rest="${line##*) }"
  [ "${rest%% *}" != Z ]
}

boot_id() {
  local id
  read -r id </proc/sys/kernel/random/boot_id
  printf '%s' "$id"
}

# session_pids SID: the live (not zombie) processes of session SID, one pid a line. One awk reads every
# /proc/<pid>/stat: after the command come state, parent, process group and session.
session_pids() {
  awk -v sid="$1" '{ sub(/^.*\) /, ""); if ($4 == sid && $1 != "Z") { split(FILENAME, part, "/"); print part[3] } }' \
    /proc/[0-9]*/stat 2>/dev/null
  return 0
}

# recorded_state: what the record says about the app, as "<kind> <evidence>" (kinds as in service_state).
# (load_service_settings has refused a linked record.)
recorded_state() {
  if [ ! -e "$PID_FILE" ]; then
    printf 'unrecorded no process recorded in %s' "$PID_FILE"
    return 0
  fi
  local pid start boot extra
  read -r pid start boot extra <"$PID_FILE" || true
  if ! [[ "$pid" =~ ^[1-9][0-9]{0,9}$ && "$pid" != 1 && "$start" =~ ^[0-9]{1,20}$ && -n "$boot" && -z "$extra" ]]; then
    printf 'unknown %s holds no valid record (pid, start time, boot id); refusing it' "$PID_FILE"
    return 0
  fi
  local now others
  if [ "$boot" != "$(boot_id)" ]; then
    printf 'stopped process %s was recorded before the last reboot' "$pid"
  elif now="$(process_start "$pid")" && [ "$now" != "$start" ]; then
    printf 'stopped process %s has exited (the pid now belongs to another process)' "$pid"
  elif [ -n "$now" ] && process_alive "$pid"; then
    printf 'running process %s is alive' "$pid"
  else
    others="$(session_pids "$pid" | wc -l)"
    if [ "$others" -eq 0 ]; then
      printf 'stopped process %s and its session have exited' "$pid"
    else
      printf 'running process %s has exited, but %s process(es) of its session still run' "$pid" "$others"
    fi
  fi
  return 0
}

# service_state: what the manager can prove about the app, as "<kind> <evidence>" on stdout, kind one of
#   running     systemd or the recorded process says the app runs (a unit still deactivating runs)
#   stopped     systemd says the unit is inactive or failed, or the recorded process has exited
#   unrecorded  pidfile: no process was recorded (the hooks did not start the app)
#   unknown     systemd could not answer, or the record cannot be trusted: never to be read as stopped
service_state() {
  if [ "$SERVICE_MANAGER" = pidfile ]; then
    recorded_state
    return 0
  fi
  local shown status=0 load active
  shown="$(timeout 10 systemctl show --property=LoadState --property=ActiveState -- "$SERVICE_NAME" 2>&1)" || status=$?
  if [ "$status" -eq 124 ]; then
    printf 'unknown systemctl did not answer within 10s'
    return 0
  elif [ "$status" -ne 0 ]; then
    printf 'unknown systemctl failed (exit %s): %s' "$status" "$(printf '%s\n' "$shown" | head -n 1)"
    return 0
  fi
  load="$(printf '%s\n' "$shown" | sed -n 's/^LoadState=//p')"
  active="$(printf '%s\n' "$shown" | sed -n 's/^ActiveState=//p')"
  if [ "$load" != loaded ]; then
    printf 'unknown unit %s is not loaded (LoadState=%s)' "$SERVICE_NAME" "${load:-none}"
    return 0
  fi
  case "$active" in
    inactive | failed) printf 'stopped systemd ActiveState=%s' "$active" ;;
    active | activating | deactivating | reloading | refreshing) printf 'running systemd ActiveState=%s' "$active" ;;
    *) printf 'unknown systemd ActiveState=%s' "${active:-none}" ;;
  esac
  return 0
}

# recorded_pid: the recorded process's pid (its session's id), only while the app still runs by the record.
recorded_pid() {
  local state
  state="$(recorded_state)"
  [ "${state%% *}" = running ] || return 1
  state="${state#running process }"
  printf '%s' "${state%% *}"
}

# signal_app SIGNAL: send SIGNAL through systemd (to the unit's processes), or to every process of the
# recorded app's session while the record still identifies it.
signal_app() {
  if [ "$SERVICE_MANAGER" = service ]; then
    if [ "$1" = TERM ]; then
      timeout 30 systemctl stop --no-block -- "$SERVICE_NAME" || die "systemctl stop $SERVICE_NAME failed (exit $?)"
    else
      timeout 30 systemctl kill --signal="SIG$1" -- "$SERVICE_NAME" || die "systemctl kill $SERVICE_NAME failed (exit $?)"
    fi
    return 0
  fi
  local pid member
  if pid="$(recorded_pid)"; then
    for member in $(session_pids "$pid"); do
      kill "-$1" "$member" 2>/dev/null || true
    done
  fi
  return 0
}

# start_service SECONDS: start the app. With pidfile: without a shell, in a session of its own (as
# RunAs when set), output appended to its log in the run folder, and recorded.
start_service() {
  if [ "$SERVICE_MANAGER" = service ]; then
    local output status=0
    output="$(timeout "$1" systemctl start -- "$SERVICE_NAME" 2>&1)" || status=$?
    [ "$status" -eq 0 ] || die "systemctl start $SERVICE_NAME failed (exit $status): $(printf '%s' "$output" | head -n 1)"
    return 0
  fi
  [ -n "$START_COMMAND" ] || die "ServiceManager pidfile needs LinuxStartCommand"
  split_command "$START_COMMAND"
  local -a launcher=(setsid --)
  if [ -n "$RUN_AS" ]; then
    [[ "$RUN_AS" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "RunAs must be a user name; got '$RUN_AS'"
    id -u -- "$RUN_AS" >/dev/null 2>&1 || die "RunAs user $RUN_AS does not exist on this instance"
    launcher+=(setpriv "--reuid=$RUN_AS" "--regid=$(id -g -- "$RUN_AS")" --init-groups --)
  fi
  run_file "$SERVICE_NAME" log
  local app_log="$RUN_FILE" new_record="$PID_FILE.new" waited=0 me
  rm -f -- "$new_record"
  # The run folder is memory (/run): past 10 MB the log starts again, the last one kept as <app>.log.1.
  if [ -f "$app_log" ] && [ "$(stat -c %s -- "$app_log")" -gt 10485760 ]; then
    mv -f -T -- "$app_log" "$app_log.1"
  fi
  # The process records itself before it becomes the app (exec keeps its pid and start time), so even an
  # app that exits at once, or a wrapper that leaves it behind, is recorded. The app must not inherit the
  # run lock, or it would hold it for as long as it runs.
  (
    # (Read BASHPID here: inside $(...) it would name the substitution's own process.)
    me="$BASHPID"
    printf '%s %s %s\n' "$me" "$(process_start "$me")" "$(boot_id)" >"$new_record"
    cd / && exec "${launcher[@]}" "${COMMAND_WORDS[@]}" {HOOK_LOCK_FD}>&-
  ) >>"$app_log" 2>&1 </dev/null &
  until grep -q "^$! [0-9]* [0-9a-f-]*$" "$new_record" 2>/dev/null; do
    [ "$waited" -lt 500 ] || die "$SERVICE_NAME could not be recorded within 5s; see $app_log"
    sleep 0.01
    waited=$((waited + 1))
  done
  mv -f -T -- "$new_record" "$PID_FILE"
  return 0
}
