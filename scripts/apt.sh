# Sourced by scripts/test.sh and scripts/infra-check.sh (which define `say`).
# apt_install PACKAGE...: only root can install system packages; others are told what is missing.
apt_updated=false
apt_install() {
    if [[ $(id -u) -ne 0 ]]; then
        say "missing: $* (install it, or run this script as root so that it can apt-get install it)" >&2
        exit 1
    fi
    if [[ $apt_updated == false ]]; then
        apt-get update -qq
        apt_updated=true
    fi
    apt-get install -y -qq "$@" >/dev/null
}
