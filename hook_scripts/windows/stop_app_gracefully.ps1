# Pre-install hook: stop the application gracefully before patches are installed; mirrors
# linux/stop_app_gracefully.sh step for step. A failure here means AWS-RunPatchBaselineWithHooks
# installs nothing and runs on-exit.
#
# Parameters ($env:SSM_<Name>): ServiceName (required), ServiceManager (service or pidfile),
# PidFile, DrainCommand, DrainTimeoutSeconds (60), DrainSeconds (0), StopTimeoutSeconds (60),
# Port, EscalateToKill (false).
$ErrorActionPreference = 'Stop'
$HookName = 'stop_app_gracefully'
. "$PSScriptRoot\lib\HookCommon.ps1"  # hook:include lib/HookCommon.ps1
. "$PSScriptRoot\lib\ServiceManager.ps1"  # hook:include lib/ServiceManager.ps1

Read-ServiceSettings
$drainCommand = $env:SSM_DrainCommand
$drainTimeout = Get-IntParam 'SSM_DrainTimeoutSeconds' 60
$drainSeconds = Get-IntParam 'SSM_DrainSeconds' 0
$stopTimeout = Get-IntParam 'SSM_StopTimeoutSeconds' 60
$port = $env:SSM_Port
$escalate = $env:SSM_EscalateToKill -eq 'true'

function Test-StillUp {
    return (Test-ServiceRunning) -or ($port -and (Test-PortOpen ([int]$port)))
}

# Poll until the process is gone and the port closed.
function Wait-Stopped([int]$Seconds) {
    $deadline = (Get-Date).AddSeconds($Seconds)
    while (Test-StillUp) {
        if ((Get-Date) -ge $deadline) { return $false }
        Start-Sleep -Seconds 1
    }
    return $true
}

function Complete-Stop {
    if ($ServiceManager -eq 'pidfile') { Remove-Item -Path $PidFile -ErrorAction SilentlyContinue }
    Write-HookLog "$ServiceName stopped after $(Get-ElapsedSeconds)s"
    exit 0
}

if (-not (Test-ServiceRunning)) {
    Write-HookLog "$ServiceName is already stopped"
    exit 0
}

if ($drainCommand) {
    Write-HookLog "draining ${ServiceName}: $drainCommand"
    Invoke-Bounded $drainTimeout 'drain' $drainCommand
}
if ($drainSeconds -gt 0) {
    Write-HookLog "waiting ${drainSeconds}s for connections to drain"
    Start-Sleep -Seconds $drainSeconds
}

Write-HookLog "stopping $ServiceName (up to ${stopTimeout}s)"
Request-ServiceStop
if (Wait-Stopped $stopTimeout) { Complete-Stop }

if ($escalate) {
    Write-HookLog "$ServiceName did not stop within ${stopTimeout}s; killing it"
    Stop-ServiceForcefully
    if (Wait-Stopped 10) { Complete-Stop }
}
$portNote = if ($port) { " (port $port)" } else { '' }
Stop-Hook "$ServiceName did not stop within ${stopTimeout}s$portNote; set EscalateToKill=true to force it"
