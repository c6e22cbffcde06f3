#!/usr/bin/env bash
# Install the Debian packages chain-graph's tests need, when they are missing:
#   Java 17 and Maven (the local Neo4j 5.26 runs from Maven Central jars);
#   Chromium (browser tests, driven by Playwright) and a CJK font so that pages render Chinese;
#   wrk (the API latency benchmark);
#   LibreOffice Calc and Writer and poppler (print tests: workbooks and Word notices converted
#   to PDF and read back).
# Runs apt-get only when something is missing (as root, or through sudo).
set -euo pipefail

missing=()
command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v chromium >/dev/null || missing+=(chromium)
[[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || missing+=(fonts-wqy-microhei)
command -v wrk >/dev/null || missing+=(wrk)  # bench/api.py
command -v soffice >/dev/null || missing+=(libreoffice-calc-nogui)  # tests/exports/test_print.py
[[ -e /usr/lib/libreoffice/program/libswlo.so ]] || missing+=(libreoffice-writer-nogui)  # .docx notices
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v pdfinfo >/dev/null || missing+=(poppler-utils)
# cairo and fontconfig: the regional map drawn as a PNG in the Word/Excel reports (CairoSVG).
ldconfig -p 2>/dev/null | grep -q 'libcairo\.so\.2' || missing+=(libcairo2)
command -v fc-match >/dev/null || missing+=(fontconfig)

if ((${#missing[@]} == 0)); then
    exit 0
fi
readarray -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "system-deps: installing ${packages[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "system-deps: run as root or install: ${packages[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
