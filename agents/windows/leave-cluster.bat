@echo off
rem Group Policy shutdown script: the agent leaves the cluster gracefully (the balancers take this server out
rem at once instead of waiting for it to fail), then exits.
setlocal
call "%~dp0lbagent-env.bat"
"%LBAGENT_EXE%" leave
exit /b %errorlevel%
