# lib.ps1 - what the real-Windows PowerShell tests share (issue 18): the MSI
# installed and removed with msiexec, the LeakWatch service as the SCM and CIM
# see it, a temporary local user, and running a program with its exit code
# checked. Dot-sourced by test_msi_service.ps1 and test_service_soak.ps1,
# which set $ErrorActionPreference = 'Stop' and Set-StrictMode first.
# Windows PowerShell 5.1 and PowerShell 7 alike. Every failure is a `throw`
# saying what failed; the scripts print it as "FAIL: ..." and exit 1.

function Write-Step([string]$Text) {
  Write-Host ("[{0:HH:mm:ss}] {1}" -f (Get-Date), $Text)
}

function Assert-Admin {
  $id = [Security.Principal.WindowsIdentity]::GetCurrent()
  $p = New-Object Security.Principal.WindowsPrincipal($id)
  if (-not $p.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw "needs an elevated administrator (msiexec, the service, a local user); running as $($id.Name)"
  }
}

# Runs msiexec with ARGS, waits, and throws with the log's last lines unless
# it exited 0 (or 3010, reboot required).
function Invoke-Msiexec([string]$What, [string]$Arguments, [string]$Log) {
  Write-Step "msiexec $Arguments"
  $p = Start-Process -FilePath msiexec.exe -ArgumentList "$Arguments /l*v `"$Log`"" -Wait -PassThru
  if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) {
    if (Test-Path $Log) {
      Write-Host "--- last lines of $Log"
      Get-Content $Log -Tail 40 | ForEach-Object { Write-Host $_ }
    }
    throw "$What failed: msiexec exited $($p.ExitCode) (log: $Log)"
  }
}

function Install-LeakWatch([string]$Msi, [string]$Log) {
  if (-not (Test-Path $Msi)) { throw "no MSI at $Msi (build the msi target)" }
  Invoke-Msiexec 'installing the MSI' "/i `"$Msi`" /qn" $Log
}

function Uninstall-LeakWatch([string]$Msi, [string]$Log) {
  Invoke-Msiexec 'removing the MSI' "/x `"$Msi`" /qn" $Log
}

# The service as CIM sees it (name, state, account, process ID), or $null.
function Get-LeakWatchService {
  Get-CimInstance -ClassName Win32_Service -Filter "Name='LeakWatch'"
}

function Wait-LeakWatchRunning([int]$Seconds) {
  $deadline = (Get-Date).AddSeconds($Seconds)
  do {
    $svc = Get-LeakWatchService
    if ($null -ne $svc -and $svc.State -eq 'Running' -and $svc.ProcessId -ne 0) { return $svc }
    Start-Sleep -Milliseconds 500
  } while ((Get-Date) -lt $deadline)
  $state = if ($null -eq $svc) { 'not installed' } else { "$($svc.State), exit code $($svc.ExitCode)/$($svc.ServiceSpecificExitCode)" }
  throw "the service LeakWatch is not Running after $Seconds s: $state"
}

# Fails if a LeakWatch is already here: the tests install and remove their own.
function Assert-NoLeakWatch([string]$DataDir) {
  if ($null -ne (Get-LeakWatchService)) {
    throw 'a service LeakWatch is already installed here: remove it first (msiexec /x)'
  }
  if (Test-Path $DataDir) {
    throw "$DataDir already exists: a LeakWatch was here; remove it first (rmdir /s /q)"
  }
}

# Writes the first configuration before the install: the service finds it at
# its first start (the MSI properties apply only when none exists).
function Write-LeakWatchConfig([string]$DataDir, [string[]]$Lines) {
  New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
  $utf8 = New-Object Text.UTF8Encoding($false)
  [IO.File]::WriteAllLines((Join-Path $DataDir 'leakwatch.yaml'), $Lines, $utf8)
}

# The value of one metric of the service's metrics file, or -1 when it cannot
# be read yet (the service rewrites it after every poll, by rename).
function Get-Metric([string]$File, [string]$Name) {
  try {
    $text = [IO.File]::ReadAllText($File)
  } catch {
    return -1
  }
  $m = [regex]::Match($text, "(?m)^$([regex]::Escape($Name)) ([0-9.eE+-]+)\r?$")
  if (-not $m.Success) { return -1 }
  return [double]$m.Groups[1].Value
}

# A temporary local user with a random password that meets the complexity
# policy, made through ADSI's WinNT provider (NetUserAdd: no password on a
# command line, no prompt of `net user` about passwords over 14 characters);
# returns @{ Name; Password }.
function New-TempUser {
  $bytes = New-Object byte[] 32
  $rng = [Security.Cryptography.RandomNumberGenerator]::Create()
  $rng.GetBytes($bytes)
  $rng.Dispose()
  $set = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.!'
  $name = 'lwt' + (($bytes[0..3] | ForEach-Object { $_.ToString('x2') }) -join '')
  $password = 'Lw9!' + (($bytes[4..31] | ForEach-Object { $set[$_ % $set.Length] }) -join '')
  try {
    $computer = [ADSI]"WinNT://$env:COMPUTERNAME,computer"
    $u = $computer.Create('User', $name)
    $u.SetPassword($password)
    $u.SetInfo()
  } catch {
    throw "creating the local user $name failed: $($_.Exception.Message)"
  }
  Write-Step "created the temporary user $name"
  return @{ Name = $name; Password = $password }
}

function Remove-TempUser([string]$Name) {
  try {
    $computer = [ADSI]"WinNT://$env:COMPUTERNAME,computer"
    $computer.Delete('User', $Name)
  } catch {
    throw "deleting the local user $Name failed: $($_.Exception.Message) (remove it by hand)"
  }
  Write-Step "deleted the temporary user $Name"
}

# Starts tests/tools/token_grabber.exe --logon USER (LOGONS network logons of
# the user, COPIES token copies each), the password in its environment only;
# waits for "ready" and returns @{ Process; Luids; Out; Stop }.
function Start-Grabber([string]$Grabber, $User, [int]$Logons, [int]$Copies, [string]$Work) {
  $out = Join-Path $Work 'grabber.out'
  $stop = Join-Path $Work 'grabber.stop'
  Remove-Item -Force -ErrorAction SilentlyContinue $out, $stop
  $env:LW_GRABBER_PASSWORD = $User.Password
  try {
    $p = Start-Process -FilePath $Grabber -PassThru -NoNewWindow -RedirectStandardOutput $out `
      -RedirectStandardError (Join-Path $Work 'grabber.err') `
      -ArgumentList "--logon $($User.Name) --logons $Logons --logon-type network --copies $Copies --seconds 1800 --stop-file `"$stop`""
  } finally {
    Remove-Item Env:LW_GRABBER_PASSWORD -ErrorAction SilentlyContinue
  }
  $text = ''
  $deadline = (Get-Date).AddSeconds(60)
  while ((Get-Date) -lt $deadline) {
    try {
      $fs = [IO.File]::Open($out, 'Open', 'Read', 'ReadWrite')
      $text = (New-Object IO.StreamReader($fs)).ReadToEnd()
      $fs.Dispose()
    } catch {
      $text = ''
    }
    if ($text -match '(?m)^ready' -or $p.HasExited) { break }
    Start-Sleep -Milliseconds 200
  }
  Write-Host "--- token_grabber says:`n$text---"
  if ($text -notmatch '(?m)^ready') { throw 'token_grabber did not get ready in 60 s' }
  if ($text -match '(?m)^error ') { throw 'token_grabber reported an error (above)' }
  $luids = @([regex]::Matches($text, '(?m)^logon ([0-9a-f]{8}:[0-9a-f]{8}) ') | ForEach-Object { $_.Groups[1].Value })
  if ($luids.Count -ne $Logons) { throw "token_grabber made $($luids.Count) logon sessions, expected $Logons" }
  return @{ Process = $p; Luids = $luids; Out = $out; Stop = $stop }
}

function Stop-Grabber($G) {
  if ($null -eq $G) { return }
  New-Item -ItemType File -Force -Path $G.Stop | Out-Null
  if (-not $G.Process.WaitForExit(30000)) {
    $G.Process.Kill()
    throw 'token_grabber did not exit within 30 s of its stop file'
  }
}
