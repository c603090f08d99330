# On-exit hook: start the application and verify it is healthy; mirrors
# linux/start_app_and_verify.sh step for step. It runs on every Install path, so it is
# idempotent: a running, healthy app is left alone.
#
# Parameters ($env:SSM_<Name>): WindowsServiceName (required), ServiceManager (service or pidfile),
# WindowsStartCommand (no shell), Port (the app's own; in use by another process, the app is not
# started), HealthUrl (loopback only) or HealthPort, ExpectedStatus (200), StartTimeoutSeconds (120),
# HealthIntervalSeconds (2).
$ErrorActionPreference = 'Stop'
$HookName = 'start_app_and_verify'
. "$PSScriptRoot\lib\HookCommon.ps1"  # hook:include lib/HookCommon.ps1
. "$PSScriptRoot\lib\ServiceManager.ps1"  # hook:include lib/ServiceManager.ps1

Read-ServiceSettings
$port = Get-PortParam 'SSM_Port'
$healthUrl = $env:SSM_HealthUrl
$healthPort = Get-PortParam 'SSM_HealthPort'
$expectedStatusText = if ($env:SSM_ExpectedStatus) { $env:SSM_ExpectedStatus } else { '200' }
if ($expectedStatusText -notmatch '^[1-5][0-9]{2}$') { Stop-Hook "ExpectedStatus must be an HTTP status; got '$expectedStatusText'" }
$expectedStatus = [int]$expectedStatusText
$startTimeout = Get-IntParam 'SSM_StartTimeoutSeconds' 120
$interval = Get-IntParam 'SSM_HealthIntervalSeconds' 2
if (-not $healthUrl -and -not $healthPort) { Stop-Hook "set HealthUrl or HealthPort to verify $ServiceName" }
# Only this instance's loopback addresses: never another host, never the instance metadata address.
$loopbackUrl = '^https?://(127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|localhost|\[::1\])(:[0-9]{1,5})?(/[A-Za-z0-9._~%/?=&+-]*)?$'
if ($healthUrl -and $healthUrl -cnotmatch $loopbackUrl) {
    Stop-Hook "HealthUrl must be an http(s) URL on a loopback address (127.0.0.1, localhost or [::1]); got '$healthUrl'"
}
# The URL is loopback only: no proxy, no redirects followed, and an https certificate is not verified (as
# load balancers' health checks do); TLS 1.2 is offered (Windows PowerShell 5.1 offers TLS 1.0 alone).
[System.Net.ServicePointManager]::ServerCertificateValidationCallback = { $true }
[System.Net.ServicePointManager]::SecurityProtocol = [System.Net.SecurityProtocolType]::Tls12 -bor [System.Net.SecurityProtocolType]::Tls11 -bor [System.Net.SecurityProtocolType]::Tls
$script:LastResponse = 'no check made'

# One health check; records in LastResponse what it saw: the status (a redirect's too), never the body.
function Test-Healthy {
    if ($healthUrl) {
        $status = 0
        $problem = ''
        $response = $null
        try {
            $request = [System.Net.HttpWebRequest]::Create($healthUrl)
            $request.Proxy = $null
            $request.AllowAutoRedirect = $false
            $request.Timeout = 5000
            $response = $request.GetResponse()
        } catch [System.Net.WebException] {
            $response = $_.Exception.Response
            $problem = ($_.Exception.Message -replace '[^A-Za-z0-9 .:,()_-]', '')
            $problem = $problem.Substring(0, [Math]::Min(160, $problem.Length))
        }
        if ($response) {
            $status = [int]$response.StatusCode
            $response.Close()
        }
        $script:LastResponse = if ($status -eq 0) { "no HTTP answer ($problem)" } else { "HTTP $status" }
        return $status -eq $expectedStatus
    }
    $open = Test-PortOpen $healthPort
    $script:LastResponse = if ($open) { "port $healthPort accepted a connection" } else { "port $healthPort refused the connection" }
    return $open
}

$state = Get-ServiceState
switch ($state.Kind) {
    'running' {
        if (Test-Healthy) {
            Write-HookLog "$ServiceName is already running and healthy ($($state.Why); $script:LastResponse)"
            exit 0
        }
        Write-HookLog "$ServiceName is running but not healthy yet ($($state.Why); $script:LastResponse); waiting"
    }
    { $_ -in @('stopped', 'unrecorded') } {
        if ($port -and (Test-PortOpen $port)) {
            Stop-Hook "port $port is already in use by another process; $ServiceName cannot start ($($state.Why))"
        }
        # A health check that passes before the app starts is answered by something else.
        if (Test-Healthy) {
            Stop-Hook "the health check passes while $ServiceName is not running ($script:LastResponse): another process answers it; stop that process, or let the hooks start the app ($($state.Why))"
        }
        Write-HookLog "starting $ServiceName ($($state.Why))"
        Start-HookService $startTimeout
    }
    default { Stop-Hook "cannot tell whether $ServiceName runs: $($state.Why)" }
}

# Checks start 50 ms apart and back off, doubling, to HealthIntervalSeconds: a quick start is seen at once.
# An app that stops meanwhile fails the hook at once.
$deadline = (Get-Date).AddSeconds($startTimeout)
$pauseMilliseconds = 50
while ((Get-Date) -lt $deadline) {
    # The app must run before a healthy answer counts: another process answering on the URL is not the app.
    $state = Get-ServiceState
    if ($state.Kind -ne 'running') {
        Stop-Hook "$ServiceName is not running while waiting for health ($($state.Why)); last response: $script:LastResponse"
    }
    if (Test-Healthy) {
        Write-HookLog "$ServiceName is healthy after $(Get-ElapsedSeconds) s ($($state.Why); $script:LastResponse)"
        Write-HookMetric $ServiceName 'TimeToHealthySeconds' (Get-ElapsedSeconds)
        exit 0
    }
    Start-Sleep -Milliseconds $pauseMilliseconds
    $pauseMilliseconds = [Math]::Min(2 * $pauseMilliseconds, 1000 * $interval)
}
Stop-Hook "$ServiceName did not become healthy within ${startTimeout}s; last response: $script:LastResponse"
