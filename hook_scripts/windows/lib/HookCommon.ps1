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

# One timestamped line per event, on standard output, which SSM captures. Written to the console stream
# directly, not returned: a line logged inside a function whose result is assigned is never swallowed.
# Metric lines (patch-hook-metric <hook> <service> <name> <seconds>) go alone to the error stream: SSM Agent ships
# each stream to CloudWatch Logs as events of whatever a second brought, and a metric filter reads a line only at
# the start of an event. (A hook that succeeds writes nothing else there.)
function Write-HookMetric([string]$Service, [string]$Name, [int]$Seconds) {
    [Console]::Error.WriteLine(('patch-hook-metric {0} {1} {2} {3}' -f $HookName, $Service, $Name, $Seconds))
}

function Write-HookLog([string]$Message) {
    [Console]::Out.WriteLine(('{0} {1}: {2}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $HookName, $Message))
}

function Stop-Hook([string]$Message) {
    Write-HookLog "FAILED: $Message"
    exit 1
}

# Every failure ends with one FAILED line, also an unexpected terminating error. (A cancelled command or a
# passed step timeout ends PowerShell without running any script: the agent reports those itself.)
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

# Fail unless the value names an app safely as a file name in the run folder: no ':' (a data stream) and
# no device name (CON, NUL, COM1, ...) on Windows.
function Assert-ServiceName([string]$Name, [string]$Value) {
    if ($Value -cnotmatch '^[A-Za-z0-9@_:-][A-Za-z0-9@_.:-]{0,199}$') {
        Stop-Hook "$Name must be 1 to 200 characters from A-Z, a-z, 0-9, @, _, ., : and -, not starting with a dot; got '$Value'"
    }
    if ($Value.Contains(':') -or $Value -match '^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\.|$)') {
        Stop-Hook "$Name must not contain ':' or be a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9); got '$Value'"
    }
}

# Something listens on localhost:Port.
function Test-PortOpen([int]$Port) {
    # IPv4 or IPv6; only a refused connection counts as closed: a listener too busy to answer within 2 s is open.
    foreach ($address in @([System.Net.IPAddress]::Loopback, [System.Net.IPAddress]::IPv6Loopback)) {
        $client = New-Object System.Net.Sockets.TcpClient($address.AddressFamily)
        try {
            $null = $client.ConnectAsync($address, $Port).Wait(2000)
            return $true
        } catch {
            continue
        } finally {
            $client.Dispose()
        }
    }
    return $false
}

# Create the run folder with its access list in one step, writable by SYSTEM and Administrators only
# (inheritance off), and refuse it when it is a link or junction, owned or writable by anyone else: nobody
# else can then plant a file or link in it. Accounts are compared by SID, so any system language works.
function Initialize-RunDir {
    $system = New-Object System.Security.Principal.SecurityIdentifier('S-1-5-18')
    $administrators = New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')
    $trusted = @($system.Value, $administrators.Value, [Security.Principal.WindowsIdentity]::GetCurrent().User.Value)
    if (-not (Test-Path -LiteralPath $script:HookRunDir)) {
        try {
            $acl = New-Object System.Security.AccessControl.DirectorySecurity
            $acl.SetAccessRuleProtection($true, $false)
            foreach ($who in @($system, $administrators)) {
                $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($who, 'FullControl', 'ContainerInherit,ObjectInherit', 'None', 'Allow')))
            }
            [System.IO.Directory]::CreateDirectory($script:HookRunDir, $acl) | Out-Null
        } catch {
            Stop-Hook "cannot create the run folder $($script:HookRunDir): $($_.Exception.Message)"
        }
    }
    $folder = Get-Item -LiteralPath $script:HookRunDir -Force
    if (-not $folder.PSIsContainer -or ($folder.Attributes -band [IO.FileAttributes]::ReparsePoint)) {
        Stop-Hook "run folder $($script:HookRunDir) is not a folder (or is a link)"
    }
    $acl = Get-Acl -LiteralPath $script:HookRunDir
    $owner = $acl.GetOwner([System.Security.Principal.SecurityIdentifier]).Value
    if ($trusted -notcontains $owner) {
        Stop-Hook "run folder $($script:HookRunDir) belongs to $owner, not to SYSTEM or Administrators; refusing it"
    }
    # Write, append, extended attributes, delete children, attributes, delete, change permissions, take
    # ownership, generic write and generic all.
    $writeRights = 0x500D0156
    $writers = $acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier]) | Where-Object {
        $_.AccessControlType -eq 'Allow' -and ([int]$_.FileSystemRights -band $writeRights) -and ($trusted -notcontains $_.IdentityReference.Value)
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
# another to end. A mutex whose holder died is abandoned, and taken. File names ignore case, so the mutex
# name does too.
function Enter-RunLock([string]$Name) {
    $script:HookLock = New-Object System.Threading.Mutex($false, "Global\PatchHooks-$($Name.ToLowerInvariant())")
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

# Run taskkill.exe with these arguments, ignoring what it prints: with ErrorActionPreference Stop, Windows
# PowerShell 5.1 would turn a native command's error output into a terminating error.
function Invoke-Taskkill([string[]]$Arguments) {
    $ErrorActionPreference = 'Continue'
    & taskkill.exe @Arguments *> $null
}

# Run a program from its words, without a shell, its output and errors in two files of the run folder.
function Start-Words([string[]]$Words, [string]$Name, [string]$Label) {
    $output = Get-RunFile $Name "$Label.out"
    $errors = Get-RunFile $Name "$Label.err"
    $arguments = @{
        FilePath = $Words[0]; PassThru = $true; WindowStyle = 'Hidden'; WorkingDirectory = "$env:SystemDrive\"
        RedirectStandardOutput = $output; RedirectStandardError = $errors
    }
    if ($Words.Count -gt 1) { $arguments.ArgumentList = $Words[1..($Words.Count - 1)] }
    $process = Start-Process @arguments
    # Reading the handle now keeps ExitCode available after the process ends.
    $null = $process.Handle
    return $process
}

# Run a configured command without a shell, with a time limit (its whole process tree is ended on
# time-out); on failure log its last output lines and fail.
function Invoke-Bounded([int]$Limit, [string]$Label, [string]$Name, [string]$Command) {
    $process = Start-Words (Split-Command $Command) $Name $Label
    $output = Get-RunFile $Name "$Label.out"
    $errors = Get-RunFile $Name "$Label.err"
    if (-not $process.WaitForExit($Limit * 1000)) {
        Invoke-Taskkill @('/T', '/F', '/PID', $process.Id)
        Stop-Hook "$Label command timed out after ${Limit}s: $Command"
    }
    if ($process.ExitCode -ne 0) {
        Get-Content -LiteralPath $output, $errors -Tail 20 -ErrorAction SilentlyContinue | ForEach-Object { Write-HookLog "$Label output: $_" }
        Remove-Item -LiteralPath $output, $errors -ErrorAction SilentlyContinue
        Stop-Hook "$Label command failed with exit code $($process.ExitCode): $Command"
    }
    Remove-Item -LiteralPath $output, $errors -ErrorAction SilentlyContinue
}
