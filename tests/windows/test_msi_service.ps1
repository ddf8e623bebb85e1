# test_msi_service.ps1 - real Windows only (label `windows`, issue 18): the
# MSI, the service under the real SCM, an alert read back from the real
# Application log, and the data folder's real DACL.
#
#   test_msi_service.ps1 -Msi LeakWatch-X-x64.msi -Grabber token_grabber.exe -Work DIR
#
#  1. writes the first configuration (%ProgramData%\LeakWatch\leakwatch.yaml:
#     poll_interval 100ms, grace_period 1s, accumulation_threshold 2), then
#     msiexec /i /qn;
#  2. the service LeakWatch is Running, as LocalSystem, automatic start, from
#     the installed leakwatch.exe (Get-CimInstance Win32_Service);
#  3. simulates a leak with token_grabber.exe: a temporary local user logged
#     on twice (two network logon sessions, LogonUserW), each token kept only
#     as copies in the grabber, never closed. Which rule: 2005 (accumulating
#     logon sessions: live sessions of one user and logon type without a
#     process of their own, older than grace_period). A hosted runner is no
#     RDS host: 2001 needs a terminal session that ended while its logon
#     session lives on, i.e. an RDP logon and logoff, which a runner cannot
#     make; a LogonUser token that is never closed is the other leak the
#     README names, and it is exactly what the grabber does;
#  4. reads the event back: wevtutil qe Application with the query of
#     README's Event Viewer view for 2005/2001, /f:xml for the insertion
#     strings (README: 2005 = USER, DOMAIN, LOGON_TYPE, LOGON_TYPE_NAME,
#     COUNT) and /f:RenderedXml for the message rendered from the message
#     table in leakwatch.exe (no "description ... cannot be found");
#  5. icacls %ProgramData%\LeakWatch: SYSTEM and Administrators full control
#     (inherited by folders and files), protected, nobody else (also checked
#     by SID with Get-Acl, so a localized Windows passes too);
#  6. stops the grabber, deletes the user, msiexec /x: the service is gone.
# Cleans up whatever happened (grabber, user, product, data folder). Exit 0
# on success, 1 with "FAIL: what" otherwise.
param(
  [Parameter(Mandatory = $true)][string]$Msi,
  [Parameter(Mandatory = $true)][string]$Grabber,
  [Parameter(Mandatory = $true)][string]$Work
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. (Join-Path $PSScriptRoot 'lib.ps1')
# CMake passes C:/...: msiexec and the rest get the usual C:\... form.
$Msi = [IO.Path]::GetFullPath($Msi)
$Grabber = [IO.Path]::GetFullPath($Grabber)
$Work = [IO.Path]::GetFullPath($Work)

$dataDir = Join-Path $env:ProgramData 'LeakWatch'
$installed = $false
$madeData = $false
$user = $null
$grab = $null
$failed = $false

# The LeakWatch events of the Application log as XML elements, newest first.
function Get-LeakWatchEvents([string]$Format) {
  $query = "*[System[Provider[@Name='LeakWatch'] and (EventID=2005 or EventID=2001)]]"
  $xml = & wevtutil.exe qe Application "/q:$query" "/f:$Format" /rd:true /c:200
  if ($LASTEXITCODE -ne 0) { throw "wevtutil qe Application /f:$Format failed ($LASTEXITCODE): $xml" }
  $doc = [xml]("<Events>" + ($xml -join "`n") + "</Events>")
  return @($doc.DocumentElement.SelectNodes("*[local-name()='Event']"))
}

# One field of an event's XML by its path of local names ('System/EventID'),
# as text; '' when absent.
function Get-EventField($E, [string]$Path) {
  $xpath = ($Path.Split('/') | ForEach-Object { "*[local-name()='$_']" }) -join '/'
  $node = $E.SelectSingleNode($xpath)
  if ($null -eq $node) { return '' }
  return $node.InnerText
}

function Get-EventId($E) {
  return [int](Get-EventField $E 'System/EventID')
}

# The insertion strings of a classic event (<EventData><Data>...), in order.
function Get-Inserts($E) {
  return @($E.SelectNodes("*[local-name()='EventData']/*[local-name()='Data']") | ForEach-Object { $_.InnerText })
}

try {
  Assert-Admin
  New-Item -ItemType Directory -Force -Path $Work | Out-Null
  Assert-NoLeakWatch $dataDir

  Write-Step 'first configuration, then the MSI'
  $madeData = $true
  Write-LeakWatchConfig $dataDir @(
    'poll_interval: 100ms',
    'grace_period: 1s',
    'accumulation_threshold: 2'
  )
  $installed = $true
  Install-LeakWatch $Msi (Join-Path $Work 'install.log')

  Write-Step 'the service under the SCM'
  $svc = Wait-LeakWatchRunning 60
  $exe = Join-Path ${env:ProgramFiles} 'LeakWatch\leakwatch.exe'
  Write-Host ("LeakWatch: state {0}, account {1}, start {2}, PID {3}, path {4}" -f $svc.State, $svc.StartName, $svc.StartMode, $svc.ProcessId, $svc.PathName)
  if ($svc.StartName -ne 'LocalSystem') { throw "the service runs as '$($svc.StartName)', expected LocalSystem" }
  if ($svc.StartMode -ne 'Auto') { throw "the service's start mode is '$($svc.StartMode)', expected Auto" }
  if ($svc.PathName -notlike "*$exe*") { throw "the service's path is '$($svc.PathName)', expected $exe" }
  if (-not (Test-Path (Join-Path $dataDir 'history.db'))) { throw "no history database in $dataDir after the start" }

  Write-Step 'a leak: two logon sessions of a temporary user held by token_grabber'
  $user = New-TempUser
  $started = Get-Date
  $grab = Start-Grabber $Grabber $user 2 2 $Work
  Write-Host "held logon sessions: $($grab.Luids -join ', ')"

  Write-Step 'event 2005 in the Application log'
  $found = $null
  $deadline = (Get-Date).AddSeconds(120)
  while ($null -eq $found -and (Get-Date) -lt $deadline) {
    Start-Sleep -Seconds 2
    foreach ($e in (Get-LeakWatchEvents 'xml')) {
      $ins = Get-Inserts $e
      if ((Get-EventId $e) -eq 2005 -and $ins.Count -ge 1 -and $ins[0] -eq $user.Name) { $found = $e; break }
    }
  }
  if ($null -eq $found) {
    Write-Host '--- LeakWatch events in the Application log:'
    & wevtutil.exe qe Application "/q:*[System[Provider[@Name='LeakWatch']]]" /f:text /rd:true /c:20 | ForEach-Object { Write-Host $_ }
    throw "no event 2005 naming $($user.Name) within 120 s of the leak"
  }
  $ins = Get-Inserts $found
  Write-Host "2005 insertion strings: $(($ins | ForEach-Object { "'$_'" }) -join ', ')"
  # README, "Event Log": 2005 = USER, DOMAIN, LOGON_TYPE, LOGON_TYPE_NAME, COUNT.
  if ($ins.Count -ne 5) { throw "2005 has $($ins.Count) insertion strings, README documents 5" }
  if ($ins[1] -ne $env:COMPUTERNAME) { throw "2005 %2 DOMAIN is '$($ins[1])', expected the computer '$env:COMPUTERNAME' (a local user)" }
  if ($ins[2] -ne '3') { throw "2005 %3 LOGON_TYPE is '$($ins[2])', expected 3 (a network logon)" }
  if ($ins[3] -ne 'Network') { throw "2005 %4 LOGON_TYPE_NAME is '$($ins[3])', expected Network" }
  if ($ins[4] -ne '2') { throw "2005 %5 COUNT is '$($ins[4])', expected 2" }
  $level = Get-EventField $found 'System/Level'
  if ($level -ne '3') { throw "2005's level is '$level', expected 3 (warning)" }

  $rendered = $null
  foreach ($e in (Get-LeakWatchEvents 'RenderedXml')) {
    $ri = Get-Inserts $e
    if ((Get-EventId $e) -eq 2005 -and $ri.Count -ge 1 -and $ri[0] -eq $user.Name) { $rendered = $e; break }
  }
  if ($null -eq $rendered) { throw 'the 2005 event is missing from the rendered query' }
  $message = Get-EventField $rendered 'RenderingInfo/Message'
  Write-Host "2005 as Event Viewer shows it: $message"
  $want = "2 logon sessions of $($env:COMPUTERNAME)\$($user.Name) with logon type Network (3) exist without any process of their own"
  if (-not $message.StartsWith($want, [StringComparison]::OrdinalIgnoreCase)) { throw "2005's message is not the message table's text: expected it to begin with '$want'" }
  if ($message -match '%[0-9]') { throw "2005's message has an unreplaced insert: $message" }
  Write-Host ("2005 arrived {0:N1} s after the leak began" -f ((Get-Date) - $started).TotalSeconds)

  Write-Step 'the data folder''s access list'
  $icacls = & icacls.exe $dataDir
  if ($LASTEXITCODE -ne 0) { throw "icacls $dataDir failed ($LASTEXITCODE)" }
  $icacls | ForEach-Object { Write-Host $_ }
  $system = (New-Object Security.Principal.SecurityIdentifier('S-1-5-18')).Translate([Security.Principal.NTAccount]).Value
  $admins = (New-Object Security.Principal.SecurityIdentifier('S-1-5-32-544')).Translate([Security.Principal.NTAccount]).Value
  # icacls: "PATH ACE" on the first line, one ACE per line after it, a blank
  # line, then the summary.
  $aces = @($icacls | Where-Object { $_ -match '\S' -and $_ -notmatch '^Successfully processed' } |
      ForEach-Object { $_.Replace($dataDir, '').Trim() })
  $want = @("${system}:(OI)(CI)(F)", "${admins}:(OI)(CI)(F)")
  if (($aces -join '|') -ne ($want -join '|')) {
    throw "icacls shows [$($aces -join '; ')], README documents [$($want -join '; ')] (SYSTEM and Administrators full, nobody else)"
  }
  $acl = Get-Acl $dataDir
  if (-not $acl.AreAccessRulesProtected) { throw "$dataDir inherits from its parent: its DACL is not protected" }
  $rules = @($acl.Access | ForEach-Object {
      '{0} {1} {2} {3}' -f $_.IdentityReference.Translate([Security.Principal.SecurityIdentifier]).Value,
      $_.AccessControlType, $_.FileSystemRights, $_.IsInherited })
  Write-Host "Get-Acl: $($rules -join '; ') (SDDL $($acl.Sddl))"
  $wantRules = @('S-1-5-18 Allow FullControl False', 'S-1-5-32-544 Allow FullControl False')
  if (($rules -join '|') -ne ($wantRules -join '|')) { throw "Get-Acl shows [$($rules -join '; ')], expected [$($wantRules -join '; ')]" }

  Write-Step 'the grabber lets go; the product is removed'
  Stop-Grabber $grab
  $grab = $null
  Uninstall-LeakWatch $Msi (Join-Path $Work 'uninstall.log')
  $installed = $false
  if ($null -ne (Get-LeakWatchService)) { throw 'the service LeakWatch is still there after msiexec /x' }
  Write-Host 'PASS'
} catch {
  $failed = $true
  Write-Host "FAIL: $($_.Exception.Message)"
  Write-Host $_.InvocationInfo.PositionMessage
} finally {
  # Whatever happened: nothing of the test is left on the machine.
  if ($null -ne $grab) {
    try { Stop-Grabber $grab } catch { Write-Host "cleanup: $($_.Exception.Message)"; $failed = $true }
  }
  if ($null -ne $user) {
    try { Remove-TempUser $user.Name } catch { Write-Host "cleanup: FAIL: $($_.Exception.Message)"; $failed = $true }
  }
  if ($installed) {
    try {
      if ($null -ne (Get-LeakWatchService)) { Uninstall-LeakWatch $Msi (Join-Path $Work 'uninstall-cleanup.log') }
    } catch { Write-Host "cleanup: FAIL: $($_.Exception.Message)"; $failed = $true }
  }
  if ($madeData) { Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $dataDir }
}
if ($failed) { exit 1 }
exit 0
