# shellcheck shell=bash
# Shared by run_tests.sh and demo.sh: install what the project needs on a Debian machine.
# Expects ROOT (the project folder) to be set by the caller.

VENV=$ROOT/.venv

apt_install() {  # apt_install PKG...: install the missing ones, without starting their daemons
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=900)
  "${apt[@]}" update >/dev/null
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  "${apt[@]}" install --no-install-recommends "${missing[@]}"
  ((made_policy)) && rm -f /usr/sbin/policy-rc.d
  return 0
}

setup_venv() {  # .venv with requirements.txt and requirements-tests.txt, reinstalled when they change
  if ! python3 -m venv --help >/dev/null 2>&1; then apt_install python3-venv; fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  local stamp=$VENV/.requirements.sha want
  want=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-tests.txt" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -r "$ROOT/requirements.txt" -r "$ROOT/requirements-tests.txt"
    echo "$want" >"$stamp"
  fi
}
