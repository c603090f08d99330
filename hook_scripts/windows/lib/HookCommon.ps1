# Shared by the Windows hook scripts; mirrors linux/lib/hook_common.sh. HookScript.from_file()
# inlines this file at the line of a script that includes it, so each SSM document is
# self-contained. Values come only from $env:SSM_<Name> (interpolationType ENV_VAR, SSM Agent
# 3.3.2746 or later), never from document interpolation, and no value is ever run as code:
# commands are split into words and started without a shell.

$script:HookStartedAt = Get-Date
# The hooks' own folder: pid records, the app's log and command output live here and nowhere else. The
# agent's environment may move it; document parameters cannot.
$script:HookRunDir = if ($env:PATCH_HOOKS_RUN_DIR) { $env:PATCH_HOOKS_RUN_DIR } else { Join-Path $env:ProgramData 'PatchHooks' }
# How long a hook waits for another run on the same app to end before failing.
$script:HookLockWaitSeconds = if ($env:PATCH_HOOKS_LOCK_WAIT_SECONDS) { [int]$env:PATCH_HOOKS_LOCK_WAIT_SECONDS } else { 30 }

# One timestamped line per event, on the output stream, which SSM captures.
function Write-HookLog([string]$Message) {
    Write-Output ('{0} {1}: {2}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $HookName, $Message)
}

function Stop-Hook([string]$Message) {
    Write-HookLog "FAILED: $Message"
    exit 1
}

# Every failure ends with one FAILED line, also an unexpected terminating error.
trap {
    Write-HookLog "FAILED: stopped unexpectedly: $($_.Exception.Message) (line $($_.InvocationInfo.ScriptLineNumber))"
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
    if ($value -notmatch '^(0|[1-9][0-9]{0,5})$') { Stop-Hook "$Name must be a whole number; got '$value'" }
    return [int]$value
}

# The variable's value as a TCP port, or $null when empty.
function Get-PortParam([string]$Name) {
    $value = [Environment]::GetEnvironmentVariable($Name)
    if (-not $value) { return $null }
    if ($value -notmatch '^[1-9][0-9]{0,4}$' -or [int]$value -gt 65535) { Stop-Hook "$Name must be a TCP port from 1 to 65535; got '$value'" }
    return [int]$value
}

# Fail unless the value names an app safely as a file name in the run folder.
function Assert-ServiceName([string]$Name, [string]$Value) {
    if ($Value -cnotmatch '^[A-Za-z0-9@_:-][A-Za-z0-9@_.:-]{0,199}$') {
        Stop-Hook "$Name must be 1 to 200 characters from A-Z, a-z, 0-9, @, _, ., : and -, not starting with a dot; got '$Value'"
    }
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

# Create the run folder, writable by SYSTEM and Administrators only (inheritance off), and refuse it when it
# is a link or junction, or others may write it: nobody else can then plant a file or link in it.
function Initialize-RunDir {
    if (-not (Test-Path -LiteralPath $script:HookRunDir)) {
        try {
            New-Item -ItemType Directory -Path $script:HookRunDir -Force | Out-Null
            $acl = New-Object System.Security.AccessControl.DirectorySecurity
            $acl.SetAccessRuleProtection($true, $false)
            foreach ($who in @('NT AUTHORITY\SYSTEM', 'BUILTIN\Administrators')) {
                $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($who, 'FullControl', 'ContainerInherit,ObjectInherit', 'None', 'Allow')))
            }
            Set-Acl -LiteralPath $script:HookRunDir -AclObject $acl
        } catch {
            Stop-Hook "cannot create the run folder $($script:HookRunDir): $($_.Exception.Message)"
        }
    }
    $folder = Get-Item -LiteralPath $script:HookRunDir -Force
    if (-not $folder.PSIsContainer -or ($folder.Attributes -band [IO.FileAttributes]::ReparsePoint)) {
        Stop-Hook "run folder $($script:HookRunDir) is not a folder (or is a link)"
    }
    $trusted = @('NT AUTHORITY\SYSTEM', 'BUILTIN\Administrators', [Security.Principal.WindowsIdentity]::GetCurrent().Name)
    $writers = (Get-Acl -LiteralPath $script:HookRunDir).Access | Where-Object {
        $_.AccessControlType -eq 'Allow' -and ($_.FileSystemRights -band 0x116) -and ($trusted -notcontains $_.IdentityReference.Value)
    }
    if ($writers) {
        Stop-Hook "run folder $($script:HookRunDir) is writable by others ($(($writers | ForEach-Object { $_.IdentityReference.Value }) -join ', ')); refusing it"
    }
}

# Name's file in the run folder; fail if something planted a link there.
function Get-RunFile([string]$Name, [string]$Suffix) {
    $path = Join-Path $script:HookRunDir "$Name.$Suffix"
    $item = Get-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue
    if ($item -and ($item.Attributes -band [IO.FileAttributes]::ReparsePoint)) {
        Stop-Hook "$path is a symbolic link; refusing to follow it"
    }
    return $path
}

# One hook run at a time per app on this instance (a named mutex), waiting up to HookLockWaitSeconds for
# another to end. A mutex whose holder died is abandoned, and taken.
function Enter-RunLock([string]$Name) {
    $script:HookLock = New-Object System.Threading.Mutex($false, "Global\PatchHooks-$Name")
    try {
        $taken = $script:HookLock.WaitOne($script:HookLockWaitSeconds * 1000)
    } catch [System.Threading.AbandonedMutexException] {
        $taken = $true
    }
    if (-not $taken) {
        Stop-Hook "another hook run for $Name holds Global\PatchHooks-$Name and did not end within $($script:HookLockWaitSeconds)s"
    }
}

# The command's words: split at spaces; nothing is expanded, and there is no shell.
function Split-Command([string]$Command) {
    $words = @($Command -split ' ' | Where-Object { $_ })
    if ($words.Count -eq 0) { Stop-Hook 'the command is empty' }
    return , $words
}

# Start a program from its words, without a shell, its output appended to files.
function Start-Words([string[]]$Words, [string]$Output) {
    $arguments = @{ FilePath = $Words[0]; PassThru = $true; WindowStyle = 'Hidden'; RedirectStandardOutput = $Output; RedirectStandardError = "$Output.err" }
    if ($Words.Count -gt 1) { $arguments.ArgumentList = $Words[1..($Words.Count - 1)] }
    $process = Start-Process @arguments
    # Reading the handle now keeps ExitCode available after the process ends.
    $null = $process.Handle
    return $process
}

# Run a configured command without a shell, with a time limit (its whole process tree is ended on
# time-out); on failure log its last output lines and fail.
function Invoke-Bounded([int]$Limit, [string]$Label, [string]$Name, [string]$Command) {
    $output = Get-RunFile $Name "$Label.out"
    $process = Start-Words (Split-Command $Command) $output
    if (-not $process.WaitForExit($Limit * 1000)) {
        & taskkill.exe /T /F /PID $process.Id 2>&1 | Out-Null
        Stop-Hook "$Label command timed out after ${Limit}s: $Command"
    }
    if ($process.ExitCode -ne 0) {
        Get-Content -Path $output, "$output.err" -Tail 20 -ErrorAction SilentlyContinue | ForEach-Object { Write-HookLog "$Label output: $_" }
        Remove-Item -Path $output, "$output.err" -ErrorAction SilentlyContinue
        Stop-Hook "$Label command failed with exit code $($process.ExitCode): $Command"
    }
    Remove-Item -Path $output, "$output.err" -ErrorAction SilentlyContinue
}
