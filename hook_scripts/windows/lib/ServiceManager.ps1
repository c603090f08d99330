# The service-manager seam shared by the stop and start hooks; mirrors linux/lib/service_manager.sh:
# "service" drives the Service Control Manager; "pidfile" drives a process recorded in PidFile and
# started with StartCommand. HookScript.from_file() inlines this file at the line that includes it.

# Read and check ServiceName, ServiceManager, PidFile and StartCommand.
function Read-ServiceSettings {
    Assert-Env @('SSM_ServiceName')
    $script:ServiceName = $env:SSM_ServiceName
    $script:ServiceManager = if ($env:SSM_ServiceManager) { $env:SSM_ServiceManager } else { 'service' }
    $script:PidFile = $env:SSM_PidFile
    $script:StartCommand = $env:SSM_StartCommand
    switch ($script:ServiceManager) {
        'service' {
            if (-not (Get-Service -Name $script:ServiceName -ErrorAction SilentlyContinue)) {
                Stop-Hook "service $($script:ServiceName) is not installed; use pidfile for apps that are not services"
            }
        }
        'pidfile' { if (-not $script:PidFile) { Stop-Hook 'ServiceManager pidfile needs PidFile' } }
        default { Stop-Hook "ServiceManager must be service or pidfile; got '$($script:ServiceManager)'" }
    }
}

# The recorded process id, when the pid file names one.
function Get-ServicePid {
    if (-not (Test-Path -Path $script:PidFile)) { return $null }
    $digits = (Get-Content -Path $script:PidFile -Raw) -replace '[^0-9]', ''
    if ($digits) { return [int]$digits }
    return $null
}

# What the manager can prove about the app, mirroring service_state on Linux: Kind is 'running',
# 'stopped' (the service is Stopped, or the recorded process has exited) or 'unknown' (the manager could
# not answer, or nothing identifies the app: never to be read as stopped); Why says what was seen.
function Get-ServiceState {
    if ($script:ServiceManager -eq 'service') {
        try {
            $status = (Get-Service -Name $script:ServiceName -ErrorAction Stop).Status.ToString()
        } catch {
            return @{ Kind = 'unknown'; Why = "the Service Control Manager could not answer: $($_.Exception.Message)" }
        }
        if ($status -eq 'Stopped') { return @{ Kind = 'stopped'; Why = "service status $status" } }
        # StopPending is the Windows counterpart of deactivating: the app still runs.
        if ($status -in @('Running', 'StartPending', 'StopPending', 'ContinuePending', 'PausePending', 'Paused')) {
            return @{ Kind = 'running'; Why = "service status $status" }
        }
        return @{ Kind = 'unknown'; Why = "service status $status" }
    }
    $id = Get-ServicePid
    if ($null -eq $id) { return @{ Kind = 'unknown'; Why = "no process id in $($script:PidFile)" } }
    if (Get-Process -Id $id -ErrorAction SilentlyContinue) { return @{ Kind = 'running'; Why = "process $id is alive" } }
    return @{ Kind = 'stopped'; Why = "process $id has exited" }
}

function Test-ServiceRunning {
    if ($script:ServiceManager -eq 'service') {
        return (Get-Service -Name $script:ServiceName).Status -eq 'Running'
    }
    $id = Get-ServicePid
    return ($null -ne $id) -and ($null -ne (Get-Process -Id $id -ErrorAction SilentlyContinue))
}

# Ask the app to stop (a close request with pidfile).
function Request-ServiceStop {
    if ($script:ServiceManager -eq 'service') {
        Stop-Service -Name $script:ServiceName -NoWait
    } else {
        & taskkill.exe /PID (Get-ServicePid) | Out-Null
    }
}

# Kill the process, only when EscalateToKill is set.
function Stop-ServiceForcefully {
    if ($script:ServiceManager -eq 'service') {
        $service = Get-CimInstance -ClassName Win32_Service -Filter "Name='$($script:ServiceName)'"
        Stop-Process -Id $service.ProcessId -Force -ErrorAction SilentlyContinue
    } else {
        Stop-Process -Id (Get-ServicePid) -Force -ErrorAction SilentlyContinue
    }
}

# Start the app without waiting; the caller polls its health. With pidfile the process outlives the hook.
function Start-HookService {
    if ($script:ServiceManager -eq 'service') {
        (Get-Service -Name $script:ServiceName).Start()
    } else {
        if (-not $script:StartCommand) { Stop-Hook 'ServiceManager pidfile needs StartCommand' }
        New-Item -ItemType Directory -Force -Path (Split-Path -Parent $script:PidFile) | Out-Null
        $log = [System.IO.Path]::ChangeExtension($script:PidFile, '.log')
        $arguments = @('-NoProfile', '-NonInteractive', '-Command', $script:StartCommand)
        $process = Start-Process -FilePath 'powershell.exe' -ArgumentList $arguments -WindowStyle Hidden -PassThru `
            -RedirectStandardOutput $log -RedirectStandardError "$log.err"
        Set-Content -Path $script:PidFile -Value $process.Id
    }
}
