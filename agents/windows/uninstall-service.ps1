# Makes the agent leave the cluster gracefully, then removes the service or scheduled task.
param([string]$Name = "lbagent-agent")
$ErrorActionPreference = "Continue"
lbagent leave
if (Get-Command nssm -ErrorAction SilentlyContinue) { nssm stop $Name; nssm remove $Name confirm }
Unregister-ScheduledTask -TaskName $Name -Confirm:$false -ErrorAction SilentlyContinue
Write-Host "$Name removed."
