# Runs the lbagent agent at boot on Windows (run in an elevated PowerShell).
# node.exe does not speak the Windows service control protocol, so the agent is wrapped:
#  - with NSSM (https://nssm.cc) when `nssm` is on PATH: a real service; stopping it sends Ctrl+C, and the agent leaves gracefully;
#  - otherwise as a scheduled task started at boot as SYSTEM and restarted on failure.
param(
  [string]$Config = "C:\ProgramData\lbagent\agent.yml",
  [string]$Node = (Get-Command node -ErrorAction Stop).Source,
  [string]$Lbagent = (Join-Path (npm root -g) "lbagent\bin\lbagent.js"),
  [string]$Name = "lbagent-agent"
)
$ErrorActionPreference = "Stop"
if (-not (Test-Path $Config)) { throw "config file not found: $Config" }
if (-not (Test-Path $Lbagent)) { throw "lbagent not found at $Lbagent (npm install -g lbagent)" }
$args = "`"$Lbagent`" agent --config `"$Config`""

if (Get-Command nssm -ErrorAction SilentlyContinue) {
  nssm install $Name $Node $args
  nssm set $Name DisplayName "lbagent gossip agent"
  nssm set $Name AppStopMethodConsole 15000   # Ctrl+C: graceful leave, then exit
  nssm set $Name AppExit Default Restart
  nssm start $Name
  Write-Host "Service $Name installed with NSSM and started."
} else {
  $action = New-ScheduledTaskAction -Execute $Node -Argument $args
  $trigger = New-ScheduledTaskTrigger -AtStartup
  $settings = New-ScheduledTaskSettingsSet -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) -ExecutionTimeLimit ([TimeSpan]::Zero)
  Register-ScheduledTask -TaskName $Name -Action $action -Trigger $trigger -Settings $settings -User "SYSTEM" -RunLevel Highest -Force | Out-Null
  Start-ScheduledTask -TaskName $Name
  Write-Host "Scheduled task $Name registered (runs at boot) and started. Install NSSM for a real service."
}
Write-Host "'lbagent members' lists the cluster; 'lbagent leave' leaves it gracefully."
