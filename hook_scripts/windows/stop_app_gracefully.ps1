# Pre-install hook: stop the application gracefully before patches are installed.
# Parameters ($env:SSM_<Name>, SSM Agent 3.3.2746 or later): ServiceName.
$ErrorActionPreference = 'Stop'

function Write-Log([string]$Message) {
    Write-Output ('{0} stop_app_gracefully: {1}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $Message)
}

$serviceName = $env:SSM_ServiceName
if (-not $serviceName) {
    Write-Log 'SSM_ServiceName is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later'
    exit 1
}

$service = Get-Service -Name $serviceName
if ($service.Status -eq 'Stopped') {
    Write-Log "$serviceName is already stopped"
    exit 0
}
Write-Log "stopping $serviceName"
Stop-Service -Name $serviceName
Write-Log "$serviceName stopped"
exit 0
