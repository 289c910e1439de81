@echo off
rem Maintenance: the balancers drain this server. The agent sends serf's payload "NODE IP ROLE" for this node
rem itself (its name, advertised IP and role), so nothing here depends on the machine's language or tools.
setlocal
call "%~dp0lbagent-env.bat"
"%LBAGENT_EXE%" event pause
exit /b %errorlevel%
