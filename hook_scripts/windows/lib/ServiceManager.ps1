# The service-manager seam shared by the stop and start hooks; mirrors linux/lib/service_manager.sh:
# "service" drives the Service Control Manager; "pidfile" drives a process the start hook launched with
# WindowsStartCommand and recorded. HookScript.from_file() inlines this file at the line that includes it.
#
# The record, <run folder>\<ServiceName>.pid, holds "<pid> <start time>": the process's start time (UTC
# ticks) identifies it, so a pid reused by another process is never taken for the app nor signalled.

# Read and check the service settings, prepare the run folder and take the app's run lock.
function Read-ServiceSettings {
    Assert-Env @('SSM_WindowsServiceName')
    $script:ServiceName = $env:SSM_WindowsServiceName
    Assert-ServiceName 'WindowsServiceName' $script:ServiceName
    $script:ServiceManager = if ($env:SSM_ServiceManager) { $env:SSM_ServiceManager } else { 'service' }
    $script:StartCommand = $env:SSM_WindowsStartCommand
    if ($script:ServiceManager -notin @('service', 'pidfile')) {
        Stop-Hook "ServiceManager must be service or pidfile; got '$($script:ServiceManager)'"
    }
    Initialize-RunDir
    $script:PidFile = Get-RunFile $script:ServiceName 'pid'
    Enter-RunLock $script:ServiceName
}

function New-State([string]$Kind, [string]$Why) { return @{ Kind = $Kind; Why = $Why } }

# What the record says about the app (kinds as in Get-ServiceState); Id is the live, matching process.
function Get-RecordedState {
    # (Read-ServiceSettings has refused a linked record.)
    if (-not (Test-Path -LiteralPath $script:PidFile)) { return New-State 'unrecorded' "no process recorded in $($script:PidFile)" }
    $fields = @("$(Get-Content -LiteralPath $script:PidFile -TotalCount 1)".Trim() -split ' ')
    if ($fields.Count -ne 2 -or $fields[0] -notmatch '^[1-9][0-9]{0,9}$' -or $fields[0] -in @('4') -or $fields[1] -notmatch '^[0-9]{1,20}$') {
        return New-State 'unknown' "$($script:PidFile) holds no valid record (pid, start time); refusing it"
    }
    $id = [int]$fields[0]
    $process = Get-Process -Id $id -ErrorAction SilentlyContinue
    if (-not $process) { return New-State 'stopped' "process $id has exited" }
    if ("$($process.StartTime.ToUniversalTime().Ticks)" -ne $fields[1]) {
        return New-State 'stopped' "process $id has exited (the pid now belongs to another process)"
    }
    $state = New-State 'running' "process $id is alive"
    $state.Id = $id
    return $state
}

# What the manager can prove about the app, mirroring service_state on Linux: Kind is 'running',
# 'stopped' (the service is Stopped, or the recorded process has exited), 'unrecorded' (pidfile: no
# process was recorded) or 'unknown' (the manager could not answer, or the record cannot be trusted:
# never to be read as stopped); Why says what was seen.
function Get-ServiceState {
    if ($script:ServiceManager -eq 'pidfile') { return Get-RecordedState }
    try {
        $status = (Get-Service -Name $script:ServiceName -ErrorAction Stop).Status.ToString()
    } catch {
        return New-State 'unknown' "the Service Control Manager could not answer: $($_.Exception.Message)"
    }
    if ($status -eq 'Stopped') { return New-State 'stopped' "service status $status" }
    # StopPending is the Windows counterpart of deactivating: the app still runs.
    if ($status -in @('Running', 'StartPending', 'StopPending', 'ContinuePending', 'PausePending', 'Paused')) {
        return New-State 'running' "service status $status"
    }
    return New-State 'unknown' "service status $status"
}

# Ask the app to stop (Signal 'TERM': a close request to the recorded process) or kill it ('KILL'), only
# through the SCM or while the record still identifies the process.
function Send-AppSignal([string]$Signal) {
    if ($script:ServiceManager -eq 'service') {
        if ($Signal -eq 'TERM') {
            try { Stop-Service -Name $script:ServiceName -NoWait -ErrorAction Stop } catch { Stop-Hook "stopping service $($script:ServiceName) failed: $($_.Exception.Message)" }
        } else {
            $service = Get-CimInstance -ClassName Win32_Service -Filter "Name='$($script:ServiceName)'"
            if ($service -and $service.ProcessId) { & taskkill.exe /T /F /PID $service.ProcessId 2>&1 | Out-Null }
        }
        return
    }
    $state = Get-RecordedState
    if ($state.Kind -ne 'running') { return }
    if ($Signal -eq 'TERM') { & taskkill.exe /T /PID $state.Id 2>&1 | Out-Null } else { & taskkill.exe /T /F /PID $state.Id 2>&1 | Out-Null }
}

# Start the app without waiting; the caller polls its health. With pidfile the process, started without a
# shell, outlives the hook, its output in the run folder, and is recorded.
function Start-HookService([int]$Seconds) {
    if ($script:ServiceManager -eq 'service') {
        try {
            (Get-Service -Name $script:ServiceName -ErrorAction Stop).Start()
        } catch {
            Stop-Hook "starting service $($script:ServiceName) failed: $($_.Exception.Message)"
        }
        return
    }
    if (-not $script:StartCommand) { Stop-Hook 'ServiceManager pidfile needs WindowsStartCommand' }
    $process = Start-Words (Split-Command $script:StartCommand) (Get-RunFile $script:ServiceName 'log')
    $record = Get-RunFile $script:ServiceName 'pid.new'
    try {
        Set-Content -LiteralPath $record -Value "$($process.Id) $($process.StartTime.ToUniversalTime().Ticks)"
    } catch {
        Stop-Hook "$($script:ServiceName) exited at once; see $(Get-RunFile $script:ServiceName 'log')"
    }
    Move-Item -LiteralPath $record -Destination $script:PidFile -Force
}
