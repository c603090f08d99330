# Shared by the Windows hook scripts; mirrors linux/lib/hook_common.sh. HookScript.from_file()
# inlines this file at the line of a script that includes it, so each SSM document is
# self-contained. Values come only from $env:SSM_<Name> (interpolationType ENV_VAR, SSM Agent
# 3.3.2746 or later), never from document interpolation.

$script:HookStartedAt = Get-Date

# One timestamped line per event, on the output stream, which SSM captures.
function Write-HookLog([string]$Message) {
    Write-Output ('{0} {1}: {2}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $HookName, $Message)
}

function Stop-Hook([string]$Message) {
    Write-HookLog "FAILED: $Message"
    exit 1
}

function Get-ElapsedSeconds {
    [int]((Get-Date) - $script:HookStartedAt).TotalSeconds
}

# Fail when a variable is missing; older agents do not set SSM_<Name>.
function Assert-Env([string[]]$Names) {
    foreach ($name in $Names) {
        if ($null -eq [Environment]::GetEnvironmentVariable($name)) {
            Stop-Hook "$name is not set; ENV_VAR parameters need SSM Agent 3.3.2746 or later"
        }
    }
}

# The variable's value (or the default when empty) as a whole number.
function Get-IntParam([string]$Name, [int]$Default) {
    $value = [Environment]::GetEnvironmentVariable($Name)
    if (-not $value) { return $Default }
    if ($value -notmatch '^[0-9]+$') { Stop-Hook "$Name must be a whole number; got '$value'" }
    return [int]$value
}

# Something accepts TCP connections on localhost:Port.
function Test-PortOpen([int]$Port) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try {
        return $client.ConnectAsync('127.0.0.1', $Port).Wait(2000)
    } catch {
        return $false
    } finally {
        $client.Dispose()
    }
}

# The port an http(s) URL points at.
function Get-UrlPort([string]$Url) {
    return ([Uri]$Url).Port
}

# Run a configured command with a time limit; on failure log its last output lines and fail.
function Invoke-Bounded([int]$Limit, [string]$Label, [string]$Command) {
    $output = [System.IO.Path]::GetTempFileName()
    $errors = "$output.err"
    $arguments = @('-NoProfile', '-NonInteractive', '-Command', $Command)
    $process = Start-Process -FilePath 'powershell.exe' -ArgumentList $arguments -NoNewWindow -PassThru `
        -RedirectStandardOutput $output -RedirectStandardError $errors
    if (-not $process.WaitForExit($Limit * 1000)) {
        Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue
        Stop-Hook "$Label command timed out after ${Limit}s: $Command"
    }
    if ($process.ExitCode -ne 0) {
        Get-Content -Path $output, $errors -Tail 20 | ForEach-Object { Write-HookLog "$Label output: $_" }
        Stop-Hook "$Label command failed with exit code $($process.ExitCode): $Command"
    }
    Remove-Item -Path $output, $errors -ErrorAction SilentlyContinue
}
