@rem Settings the other scripts share: where lbagent.exe, its config and its log are. A variable that is already
@rem set wins (set it machine-wide, or edit the defaults here). Nothing here reads localized command output.
@if not defined LBAGENT_EXE set "LBAGENT_EXE=%~dp0lbagent.exe"
@if not exist "%LBAGENT_EXE%" set "LBAGENT_EXE=lbagent.exe"
@if not defined LBAGENT_CONFIG set "LBAGENT_CONFIG=%~dp0agent.yml"
@if not defined LBAGENT_LOG set "LBAGENT_LOG=%ProgramData%\lbagent\agent.log"
