# Registers the lbagent agent as a Windows service (run in an elevated PowerShell).
param(
  [string]$Config = "C:\ProgramData\lbagent\agent.yml",
  [string]$Node = (Get-Command node -ErrorAction Stop).Source,
  [string]$Lbagent = (Join-Path (npm root -g) "lbagent\bin\lbagent.js"),
  [string]$Name = "lbagent-agent"
)
$ErrorActionPreference = "Stop"
if (-not (Test-Path $Config)) { throw "config file not found: $Config" }
if (-not (Test-Path $Lbagent)) { throw "lbagent not found at $Lbagent (npm install -g lbagent)" }
$bin = "`"$Node`" `"$Lbagent`" agent --config `"$Config`""
New-Service -Name $Name -BinaryPathName $bin -DisplayName "lbagent gossip agent" -StartupType Automatic `
  -Description "lbagent gossip agent (serf-compatible): announces this server to the load balancers"
Start-Service -Name $Name
Write-Host "Service $Name installed and started. 'lbagent members' lists the cluster."
