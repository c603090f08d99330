# On-exit hook: start the application and verify it is healthy; mirrors
# linux/start_app_and_verify.sh step for step. It runs on every Install path, so it is
# idempotent: a running, healthy app is left alone.
#
# Parameters ($env:SSM_<Name>): ServiceName (required), ServiceManager (service or pidfile), PidFile,
# StartCommand, HealthUrl or HealthPort, ExpectedStatus (200), StartTimeoutSeconds (120),
# HealthIntervalSeconds (2).
$ErrorActionPreference = 'Stop'
$HookName = 'start_app_and_verify'
. "$PSScriptRoot\lib\HookCommon.ps1"  # hook:include lib/HookCommon.ps1
. "$PSScriptRoot\lib\ServiceManager.ps1"  # hook:include lib/ServiceManager.ps1

Read-ServiceSettings
$healthUrl = $env:SSM_HealthUrl
$healthPort = $env:SSM_HealthPort
$expectedStatus = if ($env:SSM_ExpectedStatus) { [int]$env:SSM_ExpectedStatus } else { 200 }
$startTimeout = Get-IntParam 'SSM_StartTimeoutSeconds' 120
$interval = Get-IntParam 'SSM_HealthIntervalSeconds' 2
if (-not $healthUrl -and -not $healthPort) { Stop-Hook "set HealthUrl or HealthPort to verify $ServiceName" }
$appPort = if ($healthPort) { [int]$healthPort } else { Get-UrlPort $healthUrl }
$script:LastResponse = 'no check made'

# One health check; records what it saw in LastResponse.
function Test-Healthy {
    if ($healthUrl) {
        $status = 0
        try {
            $response = Invoke-WebRequest -Uri $healthUrl -UseBasicParsing -TimeoutSec 5
            $status = [int]$response.StatusCode
            $body = "$($response.Content)"
        } catch {
            if ($_.Exception.Response) { $status = [int]$_.Exception.Response.StatusCode }
            $body = $_.Exception.Message
        }
        $text = ($body -replace '\s+', ' ').Trim()
        $text = $text.Substring(0, [Math]::Min(200, $text.Length))
        $script:LastResponse = if ($status -eq 0) { "no HTTP answer ($text)" } else { "HTTP ${status}: $text" }
        return $status -eq $expectedStatus
    }
    $open = Test-PortOpen ([int]$healthPort)
    $script:LastResponse = if ($open) { "port $healthPort accepted a connection" } else { "port $healthPort refused the connection" }
    return $open
}

if (Test-ServiceRunning) {
    if (Test-Healthy) {
        Write-HookLog "$ServiceName is already running and healthy ($script:LastResponse)"
        exit 0
    }
    Write-HookLog "$ServiceName is running but not healthy yet ($script:LastResponse); waiting"
} else {
    if (Test-PortOpen $appPort) {
        Stop-Hook "port $appPort is already in use by another process; $ServiceName cannot start"
    }
    Write-HookLog "starting $ServiceName"
    Start-HookService
}

# Checks start 50 ms apart and back off, doubling, to HealthIntervalSeconds: a quick start is seen at once.
$deadline = (Get-Date).AddSeconds($startTimeout)
$pauseMilliseconds = 50
while ((Get-Date) -lt $deadline) {
    if (Test-Healthy) {
        Write-HookLog "$ServiceName is healthy after $(Get-ElapsedSeconds)s ($script:LastResponse)"
        exit 0
    }
    Start-Sleep -Milliseconds $pauseMilliseconds
    $pauseMilliseconds = [Math]::Min(2 * $pauseMilliseconds, 1000 * $interval)
}
Stop-Hook "$ServiceName did not become healthy within ${startTimeout}s; last response: $script:LastResponse"
