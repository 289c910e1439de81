@echo off
rem Group Policy startup script: starts the lbagent agent in the background and returns. The node name is
rem %COMPUTERNAME%, the role and the addresses to join are in agent.yml next to this script (node_name,
rem role, retry_join); the agent finds this host's address itself (its first private IPv4, or advertise: there).
setlocal
call "%~dp0lbagent-env.bat"
rem Already running (as the service, or started before): nothing to do.
"%LBAGENT_EXE%" members >nul 2>&1
if not errorlevel 1 (
  echo lbagent: the agent is already running
  exit /b 0
)
for %%F in ("%LBAGENT_LOG%") do if not exist "%%~dpF" mkdir "%%~dpF"
rem retry_join keeps trying until a balancer answers, so a startup before the network is up still joins.
start "lbagent agent" /b "%LBAGENT_EXE%" agent --config "%LBAGENT_CONFIG%" >>"%LBAGENT_LOG%" 2>&1
echo lbagent: agent started (log: %LBAGENT_LOG%)
exit /b 0
