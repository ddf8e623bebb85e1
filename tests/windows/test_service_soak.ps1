# test_service_soak.ps1 - real Windows only (label `windows`, issue 18): the
# installed service's handle count and private bytes stay flat over 500
# polls. Under Wine GetProcessHandleCount answers 0 and PrivateUsage is
# empty, so the Wine soak (tests/bench/soak_service.sh) can only measure the
# Linux process; this one reads what Task Manager shows.
#
#   test_service_soak.ps1 -Msi LeakWatch-X-x64.msi [-Polls 500] -Work DIR
#
# The first configuration says poll_interval 100ms and a metrics file (its
# leakwatch_polls_total counts the polls), then the MSI is installed and the
# service's process is sampled with Get-Process (HandleCount,
# PrivateMemorySize64) after a warm-up of 50 polls (SQLite's page cache, the
# first holder-scan buffers, the thread pool) and then at every tenth of the
# run, up to warm-up + POLLS polls. The verdict, as ratios:
#   end / middle  <= 1.10 for handles, 1.05 for private bytes (the second half
#                 of the run: the figure a leak shows, one handle or 2 KiB per
#                 poll over 250 polls, is well past these on a service of
#                 some 100-200 handles and a few MiB);
#   end / first   <= 1.20 for both (the whole run after the warm-up: allows
#                 the page cache to fill, not a steady leak).
# It also fails if the service stops, its process changes, or the polls stall
# (fewer than one poll a second). Cleans up whatever happened.
param(
  [Parameter(Mandatory = $true)][string]$Msi,
  [int]$Polls = 500,
  [Parameter(Mandatory = $true)][string]$Work
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. (Join-Path $PSScriptRoot 'lib.ps1')
# CMake passes C:/...: msiexec and the rest get the usual C:\... form.
$Msi = [IO.Path]::GetFullPath($Msi)
$Work = [IO.Path]::GetFullPath($Work)

$warmup = 50
$limits = @{ HandlesMid = 1.10; PrivateMid = 1.05; HandlesFirst = 1.20; PrivateFirst = 1.20 }
$dataDir = Join-Path $env:ProgramData 'LeakWatch'
$metrics = Join-Path $dataDir 'leakwatch.prom'
$installed = $false
$madeData = $false
$failed = $false

# Waits until the service has made at least N polls; returns the count.
function Wait-Polls([int]$N, [int]$ProcessId) {
  $last = -1
  $lastChange = Get-Date
  while ($true) {
    $n = [int](Get-Metric $metrics 'leakwatch_polls_total')
    if ($n -ge $N) { return $n }
    if ($n -ne $last) { $last = $n; $lastChange = Get-Date }
    if (((Get-Date) - $lastChange).TotalSeconds -gt 30) { throw "the polls stalled at $n (waiting for $N)" }
    if ($null -eq (Get-Process -Id $ProcessId -ErrorAction SilentlyContinue)) {
      $svc = Get-LeakWatchService
      throw "the service's process $ProcessId ended after $n polls (service: $($svc.State), exit code $($svc.ExitCode)/$($svc.ServiceSpecificExitCode))"
    }
    Start-Sleep -Milliseconds 100
  }
}

function Test-Ratio([string]$What, [double]$From, [double]$To, [double]$Limit, [string]$Span) {
  $ratio = $To / $From
  $line = '{0}: {1} -> {2} ({3}), ratio {4:N3}, limit {5:N2}' -f $What, $From, $To, $Span, $ratio, $Limit
  Write-Host $line
  if ($ratio -gt $Limit) { Write-Host "FAIL: $line"; return $false }
  return $true
}

try {
  Assert-Admin
  New-Item -ItemType Directory -Force -Path $Work | Out-Null
  Assert-NoLeakWatch $dataDir

  $madeData = $true
  Write-LeakWatchConfig $dataDir @(
    'poll_interval: 100ms',
    "metrics_file: '$metrics'"
  )
  $installed = $true
  Install-LeakWatch $Msi (Join-Path $Work 'install.log')
  $svc = Wait-LeakWatchRunning 60
  $svcPid = [int]$svc.ProcessId
  Write-Step "service process $svcPid; $Polls polls at 100ms after a warm-up of $warmup"

  $samples = @()
  $targets = @($warmup) + @(1..10 | ForEach-Object { $warmup + [int]($Polls * $_ / 10) })
  $t0 = Get-Date
  foreach ($target in $targets) {
    $n = Wait-Polls $target $svcPid
    $p = Get-Process -Id $svcPid
    $s = [pscustomobject]@{ Polls = $n; Seconds = [math]::Round(((Get-Date) - $t0).TotalSeconds, 1); Handles = $p.HandleCount; Private = $p.PrivateMemorySize64 }
    $samples += $s
    Write-Host ('polls {0,5}  {1,6} s  handles {2,5}  private bytes {3,12}' -f $s.Polls, $s.Seconds, $s.Handles, $s.Private)
  }
  $svc = Get-LeakWatchService
  if ($svc.State -ne 'Running' -or [int]$svc.ProcessId -ne $svcPid) {
    throw "the service is $($svc.State) with process $($svc.ProcessId) at the end (was $svcPid)"
  }
  $failures = Get-Metric $metrics 'leakwatch_poll_failures_total'
  Write-Host "poll failures (metric): $failures"

  $first = $samples[0]
  $mid = $samples[5]
  $end = $samples[$samples.Count - 1]
  if ($first.Handles -le 0 -or $first.Private -le 0) {
    throw "Get-Process gave handles $($first.Handles) and private bytes $($first.Private): nothing to compare"
  }
  $ok = $true
  $ok = (Test-Ratio 'handles' $mid.Handles $end.Handles $limits.HandlesMid 'middle -> end') -and $ok
  $ok = (Test-Ratio 'private bytes' $mid.Private $end.Private $limits.PrivateMid 'middle -> end') -and $ok
  $ok = (Test-Ratio 'handles' $first.Handles $end.Handles $limits.HandlesFirst 'after warm-up -> end') -and $ok
  $ok = (Test-Ratio 'private bytes' $first.Private $end.Private $limits.PrivateFirst 'after warm-up -> end') -and $ok
  $samples | Export-Csv -NoTypeInformation -Path (Join-Path $Work 'samples.csv')
  if (-not $ok) { throw 'the service grew over the run (above)' }

  Uninstall-LeakWatch $Msi (Join-Path $Work 'uninstall.log')
  $installed = $false
  Write-Host 'PASS'
} catch {
  $failed = $true
  Write-Host "FAIL: $($_.Exception.Message)"
  Write-Host $_.InvocationInfo.PositionMessage
} finally {
  if ($installed) {
    try {
      if ($null -ne (Get-LeakWatchService)) { Uninstall-LeakWatch $Msi (Join-Path $Work 'uninstall-cleanup.log') }
    } catch { Write-Host "cleanup: FAIL: $($_.Exception.Message)"; $failed = $true }
  }
  if ($madeData) { Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $dataDir }
}
if ($failed) { exit 1 }
exit 0
