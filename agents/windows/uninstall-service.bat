@echo off
rem Stops the lbagent service (a graceful leave) and removes it (run as Administrator).
setlocal
cd /d "%~dp0"
lbagent-service.exe stop
lbagent-service.exe uninstall || exit /b 1
echo Service lbagent removed.
