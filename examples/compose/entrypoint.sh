#!/bin/sh
# Entry point of the compose demo's containers (docker-compose.yml): sets the gossip key and the admin API token,
# then runs the command. Each comes from the environment when set (LBAGENT_ENCRYPT, LBAGENT_ADMIN_TOKEN), else
# from the shared volume at /run/lbagent-secrets, where the first container to start generates it: every
# container ends up with the same values, and nothing secret is in the repository. `compose down -v` forgets them.
set -eu
SECRETS=/run/lbagent-secrets
LBAGENT="node /app/bin/lbagent.js"

# secret FILE COMMAND...: the file's content, created once by whoever gets there first (ln never overwrites).
secret() {
  file=$SECRETS/$1
  shift
  if [ ! -s "$file" ]; then
    tmp=$(mktemp "$SECRETS/.new.XXXXXX")
    "$@" >"$tmp"
    ln "$tmp" "$file" 2>/dev/null || true
    rm -f "$tmp"
  fi
  cat "$file"
}

generated=""
if [ -z "${LBAGENT_ENCRYPT:-}" ]; then
  LBAGENT_ENCRYPT=$(secret gossip.key $LBAGENT keygen)
  generated="$generated gossip-key"
fi
if [ -z "${LBAGENT_ADMIN_TOKEN:-}" ]; then
  LBAGENT_ADMIN_TOKEN=$(secret admin.token node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("base64url"))')
  generated="$generated admin-token"
fi
export LBAGENT_ENCRYPT LBAGENT_ADMIN_TOKEN

# The balancer's log says where the demo's secrets came from (and shows generated ones: this is a demo).
if [ "${LBAGENT_PRINT_SECRETS:-}" = 1 ]; then
  if [ -n "$generated" ]; then
    echo "lbagent compose demo: generated for this demo, kept in the secrets volume until 'compose down -v':"
    echo "  LBAGENT_ENCRYPT=$LBAGENT_ENCRYPT"
    echo "  LBAGENT_ADMIN_TOKEN=$LBAGENT_ADMIN_TOKEN"
    echo "  admin API: curl -H 'Authorization: Bearer $LBAGENT_ADMIN_TOKEN' ${LBAGENT_ADMIN_URL:-http://127.0.0.1:9901}/v1/stats"
    echo "  (set LBAGENT_ENCRYPT and LBAGENT_ADMIN_TOKEN in the environment of 'compose up' to use your own)"
  else
    echo "lbagent compose demo: gossip key and admin token from the environment"
  fi
fi
exec "$@"
