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
    if ($script:ServiceManager -cnotmatch '^(service|pidfile)$') {
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

# Ask the app to stop (Signal 'TERM': a close request to the recorded process tree, which only apps with a
# window heed) or kill it ('KILL'), only through the SCM or while the record still identifies the process.
# A service process that hosts other services (svchost) is never killed.
function Send-AppSignal([string]$Signal) {
    if ($script:ServiceManager -eq 'service') {
        if ($Signal -eq 'TERM') {
            try { Stop-Service -Name $script:ServiceName -NoWait -ErrorAction Stop } catch { Stop-Hook "stopping service $($script:ServiceName) failed: $($_.Exception.Message)" }
            return
        }
        $service = Get-CimInstance -ClassName Win32_Service -Filter "Name='$($script:ServiceName)'"
        if (-not $service -or -not $service.ProcessId) { return }
        $hosted = @(Get-CimInstance -ClassName Win32_Service -Filter "ProcessId=$($service.ProcessId)")
        if ($hosted.Count -gt 1) {
            Stop-Hook "service $($script:ServiceName) shares process $($service.ProcessId) with $($hosted.Count - 1) other service(s); refusing to kill it"
        }
        Invoke-Taskkill @('/T', '/F', '/PID', $service.ProcessId)
        return
    }
    $state = Get-RecordedState
    if ($state.Kind -ne 'running') { return }
    if ($Signal -eq 'TERM') { Invoke-Taskkill @('/T', '/PID', $state.Id) } else { Invoke-Taskkill @('/T', '/F', '/PID', $state.Id) }
}

# Start the app without waiting; the caller polls its health. With pidfile the process is created through
# WMI: without a shell, in the system drive's root, outliving the hook, and inheriting none of the hook's
# handles (a child holding the agent's output pipe would keep the step running). Its output is not
# captured: the app logs for itself. It is recorded.
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
    $words = Split-Command $script:StartCommand
    $created = Invoke-CimMethod -ClassName Win32_Process -MethodName Create -Arguments @{ CommandLine = ($words -join ' '); CurrentDirectory = "$env:SystemDrive\" }
    if ($created.ReturnValue -ne 0) { Stop-Hook "starting $($script:ServiceName) failed: Win32_Process.Create returned $($created.ReturnValue)" }
    $process = Get-Process -Id $created.ProcessId -ErrorAction SilentlyContinue
    if (-not $process) { Stop-Hook "$($script:ServiceName) exited at once" }
    $record = Get-RunFile $script:ServiceName 'pid.new'
    Set-Content -LiteralPath $record -Value "$($process.Id) $($process.StartTime.ToUniversalTime().Ticks)"
    Move-Item -LiteralPath $record -Destination $script:PidFile -Force
}
