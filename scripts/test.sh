#!/usr/bin/env bash
# All the tests, on a fresh machine: installs what they need (the AWS CLI into .venv, curl), then
# runs every test of the workspace. Safe to run again: installed pieces are kept.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The emulator's walkthrough test drives the real AWS CLI; this version installs and runs on
# Python 3.10+ (3.11 here). Pinned so that every machine runs the same CLI.
AWSCLI_VERSION=1.45.11
VENV=.venv

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 DEBIAN_FRONTEND=noninteractive

say() { echo "test.sh: $*"; }

# shellcheck source=scripts/apt.sh
source scripts/apt.sh # the working directory is the repository root

command -v python3 >/dev/null || apt_install python3 python3-venv
command -v curl >/dev/null || apt_install curl

# A venv whose interpreter no longer runs (Python moved or upgraded) is made anew.
if ! "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1; then
    rm -rf "$VENV"
    say "creating $VENV"
    if ! python3 -m venv "$VENV"; then
        # Debian's python3 needs python3-venv (ensurepip) to make a venv.
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV"
    fi
fi

installed=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("awscli"))' 2>/dev/null || true)
if [[ $installed != "$AWSCLI_VERSION" ]]; then
    say "installing awscli==$AWSCLI_VERSION into $VENV"
    "$VENV/bin/python" -m pip install --quiet "awscli==$AWSCLI_VERSION"
fi

# The venv's aws comes first, so that the tests use the pinned CLI.
export PATH="$PWD/$VENV/bin:$PATH"
say "$(aws --version 2>&1)"
say "$(curl --version | head -n 1)"

cargo test --workspace --all-targets
cargo test --workspace --doc
