#!/usr/bin/env bash
# Runs siteup's whole test suite on a fresh machine: installs and checks everything the tests need
# (Debian packages, the moto venv, terraform and its provider mirror), then runs cargo nextest.
#
#   scripts/test.sh [extra nextest arguments]
#
# Environment:
#   CARGO_TARGET_DIR            build dir (default: ~/.cache/siteup/target, outside the clone)
#   SITEUP_VENV                 the emulator's venv (default: ~/.cache/siteup/venv)
#   SITEUP_TF_PROVIDER_MIRROR   a filesystem mirror holding registry.terraform.io/hashicorp/aws
#   SITEUP_NODE_SDK             the API function's AWS SDK modules (default: ~/.cache/siteup/node-sdk)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/siteup/target}"
export SITEUP_VENV="${SITEUP_VENV:-$HOME/.cache/siteup/venv}"
# No packet may leave loopback: the SDK must never fall through to instance metadata.
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
      AWS_ENDPOINT_URL AWS_REGION AWS_DEFAULT_REGION || true

# --- Debian packages: Knot (DNS root/TLD/child), unbound (caching resolver), tmux (terminal) ---
need_pkgs=()
command -v knotd >/dev/null 2>&1 || [ -x /usr/sbin/knotd ] || need_pkgs+=(knot)
command -v knotc >/dev/null 2>&1 || [ -x /usr/sbin/knotc ] || need_pkgs+=(knot)
command -v kdig >/dev/null 2>&1 || need_pkgs+=(knot-dnsutils)
command -v unbound >/dev/null 2>&1 || [ -x /usr/sbin/unbound ] || need_pkgs+=(unbound)
command -v tmux >/dev/null 2>&1 || need_pkgs+=(tmux)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  say "installing Debian packages: ${need_pkgs[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    || die "apt-get update failed; the tests need Debian packages: ${need_pkgs[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null \
    || die "could not install ${need_pkgs[*]}; install them with apt-get and run again"
fi
# Debian starts the packaged daemons; the tests run their own on loopback ports.
for svc in knot unbound; do
  if command -v systemctl >/dev/null 2>&1; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
done

# --- terraform and the hashicorp/aws provider mirror ---
command -v terraform >/dev/null 2>&1 || die "terraform is not on PATH; install terraform >= 1.10"
tf_version="$(terraform version -json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])' || true)"
[ -n "$tf_version" ] || die "could not read the terraform version (terraform version -json failed)"
python3 - "$tf_version" <<'PY' || die "terraform $tf_version is too old; siteup needs terraform >= 1.10"
import sys
major, minor = (int(x) for x in sys.argv[1].split(".")[:2])
sys.exit(0 if (major, minor) >= (1, 10) else 1)
PY
mirror="${SITEUP_TF_PROVIDER_MIRROR:-}"
if [ -z "$mirror" ]; then
  for d in /opt/tf-plugins "$HOME/.terraform.d/plugins" "$HOME/.local/share/terraform/plugins" \
           /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
    if compgen -G "$d/registry.terraform.io/hashicorp/aws/*/*" >/dev/null; then mirror="$d"; break; fi
  done
fi
[ -n "$mirror" ] || die "no filesystem mirror of the hashicorp/aws provider was found; set SITEUP_TF_PROVIDER_MIRROR to the directory holding registry.terraform.io/hashicorp/aws"
compgen -G "$mirror/registry.terraform.io/hashicorp/aws/*/*" >/dev/null \
  || die "SITEUP_TF_PROVIDER_MIRROR=$mirror holds no registry.terraform.io/hashicorp/aws provider"
export SITEUP_TF_PROVIDER_MIRROR="$mirror"
say "terraform $tf_version, provider mirror $mirror"

# --- the AWS emulator's venv (moto) ---
req="assets/emulator/requirements.txt"
[ -f "$req" ] || die "$req is missing"
stamp="$SITEUP_VENV/.siteup-requirements"
if [ ! -x "$SITEUP_VENV/bin/python" ] || ! cmp -s "$req" "$stamp"; then
  say "creating the emulator venv in $SITEUP_VENV"
  python3 -m venv "$SITEUP_VENV" || die "python3 -m venv failed; install python3-venv"
  "$SITEUP_VENV/bin/pip" install -q --disable-pip-version-check -r "$req" \
    || die "pip could not install $req into $SITEUP_VENV"
  cp "$req" "$stamp"
fi
export SITEUP_EMULATOR_PYTHON="$SITEUP_VENV/bin/python"

# --- the API function's AWS SDK for JavaScript (Lambda's nodejs runtime ships it; the tests run
# the function's code with node against the emulator) ---
export SITEUP_NODE_SDK="${SITEUP_NODE_SDK:-$HOME/.cache/siteup/node-sdk}"
node_sdk_pkgs="@aws-sdk/client-dynamodb@3.1178.0 @aws-sdk/client-sesv2@3.1178.0"
command -v node >/dev/null 2>&1 || die "node is not on PATH; install Node.js 20 or newer (the API function's tests run it)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || die "node $(node --version) is too old; the API function's tests need Node.js 20 or newer"
if [ "$(cat "$SITEUP_NODE_SDK/.siteup-packages" 2>/dev/null)" != "$node_sdk_pkgs" ]; then
  say "installing $node_sdk_pkgs into $SITEUP_NODE_SDK"
  command -v npm >/dev/null 2>&1 || die "npm is not on PATH; install npm to fetch the AWS SDK for JavaScript"
  mkdir -p "$SITEUP_NODE_SDK"
  # shellcheck disable=SC2086 # the list splits into packages on purpose
  npm install --prefix "$SITEUP_NODE_SDK" --no-save --no-audit --no-fund --loglevel=error $node_sdk_pkgs >/dev/null \
    || die "npm could not install $node_sdk_pkgs into $SITEUP_NODE_SDK"
  printf '%s' "$node_sdk_pkgs" > "$SITEUP_NODE_SDK/.siteup-packages"
fi

# --- the tests ---
command -v cargo-nextest >/dev/null 2>&1 || cargo nextest --version >/dev/null 2>&1 \
  || die "cargo-nextest is not installed; run: cargo install cargo-nextest --locked"
say "running the test suite"
exec cargo nextest run --workspace --all-targets --no-fail-fast "$@"
