# Stops (the agent leaves the cluster gracefully) and removes the lbagent agent service.
param([string]$Name = "lbagent-agent")
$ErrorActionPreference = "Stop"
Stop-Service -Name $Name -ErrorAction SilentlyContinue
sc.exe delete $Name | Out-Null
Write-Host "Service $Name removed."
