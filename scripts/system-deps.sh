#!/usr/bin/env bash
# Installs the Debian / Raspberry Pi OS packages the project needs, if any is missing.
#   runtime: libzbar0 (pyzbar reads barcodes)
#   tests:   postgresql (throwaway clusters), chromium + chromium-driver (browser tests),
#            dbus + libdbus/glib headers (python-dbusmock's BlueZ mock, dbus-python),
#            wrk (HTTP load for benchmarks), fonts-dejavu-core (shelf tags, screenshots),
#            curl + jq (the POS bridge's shell test),
#            deploy/: systemd (systemd-analyze verify), nginx + openssl (the proxy in front of
#            gunicorn over HTTPS), prometheus (promtool checks the alert rules)
set -euo pipefail
packages=(libzbar0 postgresql chromium chromium-driver dbus libdbus-1-dev libglib2.0-dev
          pkg-config wrk fonts-dejavu-core curl jq systemd nginx openssl prometheus)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing system packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
