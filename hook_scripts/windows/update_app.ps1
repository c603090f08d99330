# Post-install hook: update the application itself, after OS patches and before any reboot.
# Parameters ($env:SSM_<Name>, SSM Agent 3.3.2746 or later): ServiceName, UpdateCommand.
$ErrorActionPreference = 'Stop'

function Write-Log([string]$Message) {
    Write-Output ('{0} update_app: {1}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $Message)
}

$serviceName = $env:SSM_ServiceName
if (-not $serviceName) {
    Write-Log 'SSM_ServiceName is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later'
    exit 1
}

$updateCommand = $env:SSM_UpdateCommand
if (-not $updateCommand) {
    Write-Log "no update command configured for $serviceName; nothing to do"
    exit 0
}
Write-Log "updating ${serviceName}: $updateCommand"
& powershell.exe -NoProfile -NonInteractive -Command $updateCommand
if ($LASTEXITCODE -ne 0) {
    Write-Log "update command failed with exit code $LASTEXITCODE"
    exit 1
}
Write-Log "$serviceName updated"
exit 0
