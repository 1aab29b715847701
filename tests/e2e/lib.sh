# Shared helpers for the end-to-end test scripts (source it; it defines functions and counters).
pass=0
fail=0
check() {  # check NAME COMMAND...: counts a pass, or prints and counts a failure
  local name=$1
  shift
  if "$@"; then pass=$((pass + 1)); else
    fail=$((fail + 1))
    echo "FAILED: $name"
  fi
}
wait_for() {  # wait_for SECONDS COMMAND...: polls until COMMAND succeeds; 1 on timeout
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.05
  done
}
