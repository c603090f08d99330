# Pre-install hook: stop the application gracefully before patches are installed; mirrors
# linux/stop_app_gracefully.sh step for step. A failure here means AWS-RunPatchBaselineWithHooks
# installs nothing and runs on-exit.
#
# Parameters ($env:SSM_<Name>): WindowsServiceName (required), ServiceManager (service or pidfile:
# the process the start hook recorded), WindowsDrainCommand (no shell), DrainTimeoutSeconds (60),
# DrainSeconds (0), StopTimeoutSeconds (60), Port, EscalateToKill (false).
$ErrorActionPreference = 'Stop'
$HookName = 'stop_app_gracefully'
. "$PSScriptRoot\lib\HookCommon.ps1"  # hook:include lib/HookCommon.ps1
. "$PSScriptRoot\lib\ServiceManager.ps1"  # hook:include lib/ServiceManager.ps1

Read-ServiceSettings
$drainCommand = $env:SSM_WindowsDrainCommand
$drainTimeout = Get-IntParam 'SSM_DrainTimeoutSeconds' 60
$drainSeconds = Get-IntParam 'SSM_DrainSeconds' 0
$stopTimeout = Get-IntParam 'SSM_StopTimeoutSeconds' 60
$port = Get-PortParam 'SSM_Port'
$escalate = $env:SSM_EscalateToKill -ceq 'true'

# True only with positive evidence that the app is down, which it leaves in $script:Evidence: the manager
# says stopped (or, with no process recorded, the port is closed), and a given port is closed.
# $script:State holds what the manager last said.
function Test-VerifiedStopped {
    $script:State = Get-ServiceState
    $why = $script:State.Why
    if ($port) {
        if (Test-PortOpen ([int]$port)) { return $false }
        $why = "$why, port $port closed"
    }
    if ($script:State.Kind -eq 'stopped') {
        $script:Evidence = $why
        return $true
    }
    # No record names no process; only a closed port then proves the app is down.
    if ($script:State.Kind -eq 'unrecorded' -and $port) {
        $script:Evidence = $why
        return $true
    }
    return $false
}

# Poll, quickly at first (50 ms, doubling to 1 s), until Test-VerifiedStopped.
function Wait-Stopped([int]$Seconds) {
    $deadline = (Get-Date).AddSeconds($Seconds)
    $pauseMilliseconds = 50
    while (-not (Test-VerifiedStopped)) {
        if ((Get-Date) -ge $deadline) { return $false }
        Start-Sleep -Milliseconds $pauseMilliseconds
        $pauseMilliseconds = [Math]::Min(2 * $pauseMilliseconds, 1000)
    }
    return $true
}

function Complete-Stop {
    if ($ServiceManager -eq 'pidfile') { Remove-Item -LiteralPath $PidFile -ErrorAction SilentlyContinue }
    Write-HookLog "$ServiceName stopped after $(Get-ElapsedSeconds) s (verified: $($script:Evidence))"
    Write-HookMetric $ServiceName 'StopSeconds' (Get-ElapsedSeconds)
    exit 0
}

# What the last check saw, for a failure message.
function Get-LastSeen {
    $seen = $script:State.Why
    if ($port) {
        $portState = if (Test-PortOpen ([int]$port)) { 'open' } else { 'closed' }
        $seen = "$seen, port $port $portState"
    }
    return $seen
}

if (Test-VerifiedStopped) {
    Write-HookLog "$ServiceName is already stopped (verified: $($script:Evidence))"
    exit 0
}
if ($script:State.Kind -eq 'unknown') { Stop-Hook "cannot tell whether $ServiceName runs: $(Get-LastSeen)" }
if ($script:State.Kind -eq 'unrecorded') {
    $hint = if ($port) { 'it was not started by the start hook, so this hook will not signal it' } else { 'set Port so a closed port can prove it is stopped' }
    Stop-Hook "cannot tell whether $ServiceName runs: $(Get-LastSeen); $hint"
}

if ($drainCommand) {
    Write-HookLog "draining ${ServiceName}: $drainCommand"
    Invoke-Bounded $drainTimeout 'drain' $ServiceName $drainCommand
}
if ($drainSeconds -gt 0) {
    Write-HookLog "waiting ${drainSeconds}s for connections to drain"
    Start-Sleep -Seconds $drainSeconds
}

Write-HookLog "stopping $ServiceName (up to ${stopTimeout}s)"
Send-AppSignal 'TERM'
if (Wait-Stopped $stopTimeout) { Complete-Stop }

if ($escalate) {
    Write-HookLog "$ServiceName did not stop within ${stopTimeout}s; killing it"
    Send-AppSignal 'KILL'
    if (Wait-Stopped 10) { Complete-Stop }
}
Stop-Hook "$ServiceName did not stop within ${stopTimeout}s (last seen: $(Get-LastSeen)); set EscalateToKill=true to force it"
