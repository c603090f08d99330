# On-exit hook: start the application and verify it is healthy. Runs on every Install path
# (after a reboot, with no reboot, and after a failed hook or install), so it must be idempotent.
# Parameters ($env:SSM_<Name>, SSM Agent 3.3.2746 or later): ServiceName, HealthUrl.
$ErrorActionPreference = 'Stop'

function Write-Log([string]$Message) {
    Write-Output ('{0} start_app_and_verify: {1}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $Message)
}

$serviceName = $env:SSM_ServiceName
$healthUrl = $env:SSM_HealthUrl
if (-not $serviceName -or -not $healthUrl) {
    Write-Log 'SSM_ServiceName or SSM_HealthUrl is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later'
    exit 1
}

$service = Get-Service -Name $serviceName
if ($service.Status -eq 'Running') {
    Write-Log "$serviceName is already running"
} else {
    Write-Log "starting $serviceName"
    Start-Service -Name $serviceName
}

foreach ($attempt in 1..30) {
    try {
        $response = Invoke-WebRequest -Uri $healthUrl -UseBasicParsing -TimeoutSec 5
        if ($response.StatusCode -eq 200) {
            Write-Log "$serviceName is healthy at $healthUrl (attempt $attempt)"
            exit 0
        }
    } catch {
        Write-Log "health check attempt $attempt failed: $($_.Exception.Message)"
    }
    Start-Sleep -Seconds 2
}
Write-Log "$serviceName did not become healthy at $healthUrl within 60 seconds"
exit 1
