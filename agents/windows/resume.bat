@echo off
rem End of maintenance: the balancers put this server back in rotation (payload "NODE IP ROLE", as pause.bat).
setlocal
call "%~dp0lbagent-env.bat"
"%LBAGENT_EXE%" event resume
exit /b %errorlevel%
