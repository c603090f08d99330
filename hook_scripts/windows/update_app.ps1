# Post-install hook: update the application itself, after OS patches and before any reboot;
# mirrors linux/update_app.sh step for step.
#
# Parameters ($env:SSM_<Name>): WindowsServiceName (required), WindowsUpdateCommand (no shell; empty:
# nothing to do), UpdateTimeoutSeconds (600), WindowsVerifyCommand, VerifyTimeoutSeconds (60).
$ErrorActionPreference = 'Stop'
$HookName = 'update_app'
. "$PSScriptRoot\lib\HookCommon.ps1"  # hook:include lib/HookCommon.ps1

Assert-Env @('SSM_WindowsServiceName')
$service = $env:SSM_WindowsServiceName
Assert-ServiceName 'WindowsServiceName' $service
$updateCommand = $env:SSM_WindowsUpdateCommand
$updateTimeout = Get-IntParam 'SSM_UpdateTimeoutSeconds' 600
$verifyCommand = $env:SSM_WindowsVerifyCommand
$verifyTimeout = Get-IntParam 'SSM_VerifyTimeoutSeconds' 60

if (-not $updateCommand) {
    Write-HookLog "no update command configured for $service; nothing to do"
    exit 0
}

Initialize-RunDir
Enter-RunLock $service
Write-HookLog "updating ${service}: $updateCommand (up to ${updateTimeout}s)"
Invoke-Bounded $updateTimeout 'update' $service $updateCommand
$verified = 'update command exited 0; no verify command'
if ($verifyCommand) {
    Write-HookLog "verifying the update: $verifyCommand"
    Invoke-Bounded $verifyTimeout 'verify' $service $verifyCommand
    $verified = 'update and verify commands exited 0'
}
Write-HookLog "$service updated after $(Get-ElapsedSeconds) s (verified: $verified)"
Write-HookMetric $service 'UpdateSeconds' (Get-ElapsedSeconds)
exit 0
