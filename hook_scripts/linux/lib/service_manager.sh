# The service-manager seam shared by the stop and start hooks: "service" drives systemd; "pidfile"
# drives a process recorded in PidFile and started with StartCommand, for hosts without systemd.
# HookScript.from_file() inlines this file at the line of a script that includes it.
# shellcheck shell=bash disable=SC2034  # sets globals that the including scripts read

# load_service_settings: read and check ServiceName, ServiceManager, PidFile and StartCommand.
load_service_settings() {
  require_env SSM_ServiceName
  SERVICE_NAME="${SSM_ServiceName:-}"
  SERVICE_MANAGER="${SSM_ServiceManager:-service}"
  PID_FILE="${SSM_PidFile:-}"
  START_COMMAND="${SSM_StartCommand:-}"
  case "$SERVICE_MANAGER" in
    service) command -v systemctl >/dev/null || die "ServiceManager service needs systemctl; use pidfile on hosts without systemd" ;;
    pidfile) [ -n "$PID_FILE" ] || die "ServiceManager pidfile needs PidFile" ;;
    *) die "ServiceManager must be service or pidfile; got '$SERVICE_MANAGER'" ;;
  esac
}

# service_pid: the recorded process id, when the pid file names one.
service_pid() {
  [ -s "$PID_FILE" ] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [ -n "$pid" ] && printf '%s' "$pid"
}

# process_alive PID: the process exists and has not exited. An exited process that PID 1 has not
# reaped yet (a zombie, common in containers whose init does not reap) counts as stopped.
process_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null)" || return 0
  [ "${state%% *}" != Z ]
}

# service_state: what the manager can prove about the app, as "<kind> <evidence>" on stdout, kind one of
#   running  the manager or the recorded process says the app runs (a unit that is still deactivating runs)
#   stopped  the manager says the unit is inactive or failed, or the recorded process has exited
#   unknown  the manager could not answer, or nothing identifies the app: never to be read as stopped
service_state() {
  if [ "$SERVICE_MANAGER" = service ]; then
    local shown status=0 load active
    shown="$(timeout 10 systemctl show --property=LoadState --property=ActiveState "$SERVICE_NAME" 2>&1)" || status=$?
    if [ "$status" -eq 124 ]; then
      printf 'unknown systemctl did not answer within 10s'
      return
    elif [ "$status" -ne 0 ]; then
      printf 'unknown systemctl failed (exit %s): %s' "$status" "$(printf '%s\n' "$shown" | head -n 1)"
      return
    fi
    load="$(printf '%s\n' "$shown" | sed -n 's/^LoadState=//p')"
    active="$(printf '%s\n' "$shown" | sed -n 's/^ActiveState=//p')"
    if [ "$load" != loaded ]; then
      printf 'unknown unit %s is not loaded (LoadState=%s)' "$SERVICE_NAME" "${load:-none}"
      return
    fi
    case "$active" in
      inactive | failed) printf 'stopped systemd ActiveState=%s' "$active" ;;
      active | activating | deactivating | reloading | refreshing) printf 'running systemd ActiveState=%s' "$active" ;;
      *) printf 'unknown systemd ActiveState=%s' "${active:-none}" ;;
    esac
  else
    local pid
    if ! pid="$(service_pid)"; then
      printf 'unknown no process id in %s' "$PID_FILE"
    elif process_alive "$pid"; then
      printf 'running process %s is alive' "$pid"
    else
      printf 'stopped process %s has exited' "$pid"
    fi
  fi
}

service_running() {
  if [ "$SERVICE_MANAGER" = service ]; then
    timeout 10 systemctl is-active --quiet "$SERVICE_NAME"
  else
    local pid
    pid="$(service_pid)" && process_alive "$pid"
  fi
}

# request_stop: ask the app to stop (SIGTERM with pidfile).
request_stop() {
  if [ "$SERVICE_MANAGER" = service ]; then
    timeout 30 systemctl stop --no-block "$SERVICE_NAME"
  else
    kill -TERM "$(service_pid)" 2>/dev/null || true
  fi
}

# force_stop: SIGKILL, only when EscalateToKill is set.
force_stop() {
  if [ "$SERVICE_MANAGER" = service ]; then
    timeout 30 systemctl kill --signal=SIGKILL "$SERVICE_NAME"
  else
    kill -KILL "$(service_pid)" 2>/dev/null || true
  fi
}

# start_service: start the app; with pidfile it outlives the hook in a session of its own.
start_service() {
  if [ "$SERVICE_MANAGER" = service ]; then
    timeout "$1" systemctl start "$SERVICE_NAME"
  else
    [ -n "$START_COMMAND" ] || die "ServiceManager pidfile needs StartCommand"
    mkdir -p "$(dirname "$PID_FILE")"
    # Output goes to a log beside the pid file.
    setsid nohup bash -c "exec $START_COMMAND" >>"${PID_FILE%.pid}.log" 2>&1 </dev/null &
    printf '%s\n' "$!" >"$PID_FILE"
  fi
}
