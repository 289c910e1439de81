@echo off
rem Installs the lbagent agent as a Windows service (run as Administrator), wrapped by WinSW: see README.md.
rem Needs next to this script: lbagent.exe, agent.yml (edited), lbagent-service.xml and WinSW-x64.exe renamed
rem to lbagent-service.exe. The service starts at boot, restarts on failure and leaves the cluster when stopped.
setlocal
cd /d "%~dp0"
for %%F in (lbagent.exe agent.yml lbagent-service.exe lbagent-service.xml) do (
  if not exist "%%F" (
    echo install-service: %%F is missing in %~dp0
    exit /b 1
  )
)
lbagent-service.exe install || exit /b 1
lbagent-service.exe start || exit /b 1
echo Service lbagent installed and started. 'lbagent.exe members' lists the cluster.
