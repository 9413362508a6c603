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

# The real-StackStorm stage (st2stage/): StackStorm 3.9.0 from source archives in a venv of its
# own, as ../shared/stackstorm/README.md describes. CI keeps shared/ beside the clone.
ST2_SHARED=${ST2_SHARED:-$ROOT/../shared/stackstorm}
ST2_TARBALL=st2-3.9.0.tar.gz
ORQUESTA_TARBALL=orquesta-5ba1467.tar.gz
ST2_BUILD=$ROOT/build/st2
ST2_VENV=$ROOT/.st2venv
# The st2 components the stage installs (paths inside the st2 archive).
ST2_COMPONENTS=(st2common st2actions st2reactor st2api st2tests
  contrib/runners/python_runner contrib/runners/orquesta_runner contrib/runners/noop_runner
  contrib/runners/local_runner contrib/runners/action_chain_runner)

ST2_URLS=(
  "https://github.com/StackStorm/st2/archive/refs/tags/v3.9.0.tar.gz"
  "https://github.com/StackStorm/orquesta/archive/5ba1467614b2ef8b4709b2ca89e68baa671e8975.tar.gz"
)

st2_sources() {  # st2_sources: the folder with both archives (shared/, else fetched), or fail
  local t missing=0
  for t in "$ST2_TARBALL" "$ORQUESTA_TARBALL"; do [ -f "$ST2_SHARED/$t" ] || missing=1; done
  if ((!missing)); then
    echo "$ST2_SHARED"
    return 0
  fi
  local fetched=$ROOT/build/st2-sources i
  local names=("$ST2_TARBALL" "$ORQUESTA_TARBALL")
  mkdir -p "$fetched"
  for i in 0 1; do
    [ -s "$fetched/${names[$i]}" ] && continue
    echo "real StackStorm stage: fetching ${ST2_URLS[$i]}" >&2
    if ! curl -fsSL --connect-timeout 15 --max-time 300 -o "$fetched/${names[$i]}.part" \
      "${ST2_URLS[$i]}"; then
      rm -f "$fetched/${names[$i]}.part"
      cat >&2 <<MSG
real StackStorm stage: StackStorm's source archives are neither in $ST2_SHARED
  (../shared/stackstorm/ beside the clone, or \$ST2_SHARED) nor could they be fetched from
  StackStorm's repositories, so the stage cannot run (it is never skipped). Put there:
    $ST2_TARBALL        ${ST2_URLS[0]}
    $ORQUESTA_TARBALL   ${ST2_URLS[1]}
MSG
      return 1
    fi
    mv "$fetched/${names[$i]}.part" "$fetched/${names[$i]}"
  done
  echo "$fetched"
}

setup_st2_venv() {  # .st2venv with StackStorm 3.9.0, reinstalled when its inputs change
  local sources
  sources=$(st2_sources) || return 1
  local stamp=$ST2_VENV/.inputs.sha want
  want=$( (
    cd "$sources" && sha256sum "$ST2_TARBALL" "$ORQUESTA_TARBALL"
    cat "$ROOT/st2stage/requirements.txt"
    printf '%s\n' "${ST2_COMPONENTS[@]}"
  ) | sha256sum | cut -d' ' -f1)
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  if ! python3 -m venv --help >/dev/null 2>&1; then apt_install python3-venv; fi
  rm -rf "$ST2_BUILD" "$ST2_VENV"
  mkdir -p "$ST2_BUILD"
  tar -xzf "$sources/$ST2_TARBALL" -C "$ST2_BUILD"
  tar -xzf "$sources/$ORQUESTA_TARBALL" -C "$ST2_BUILD"
  local src=$ST2_BUILD/st2-3.9.0 orq
  orq=$(echo "$ST2_BUILD"/orquesta-*/)
  grep -v 'git+' "$src/requirements.txt" >"$ST2_BUILD/requirements-nogit.txt"
  python3 -m venv "$ST2_VENV"
  "$ST2_VENV/bin/pip" install -q -r "$ST2_BUILD/requirements-nogit.txt" \
    -r "$ROOT/st2stage/requirements.txt" "$orq"
  local c args=()
  for c in "${ST2_COMPONENTS[@]}"; do args+=(-e "$src/$c"); done
  "$ST2_VENV/bin/pip" install -q --no-deps "${args[@]}"
  echo "$want" >"$stamp"
}
