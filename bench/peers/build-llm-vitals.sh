#!/usr/bin/env bash
# Builds llm-vitals as committed at a revision (default HEAD) into .bench-dist/peers-<sha>/ (ignored),
# away from dist/, which others rebuild from their working trees while a long measurement runs:
#
#   bench/peers/build-llm-vitals.sh [REV]     prints the dist folder; pass it as LLM_VITALS_DIST
#
# The JavaScript only (no .d.ts): the same tsup config otherwise, with the root's node_modules.
set -euo pipefail
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
sha=$(git -C "$root" rev-parse --short=12 "${1:-HEAD}")
out="$root/.bench-dist/peers-$sha"
if [ ! -f "$out/dist/index.js" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  git -C "$root" archive "$sha" | tar -x -C "$work"
  ln -s "$root/node_modules" "$work/node_modules"
  sed -i 's/dts: true/dts: false/' "$work/tsup.config.ts"
  (cd "$work" && ./node_modules/.bin/tsup >/dev/null)
  mkdir -p "$out"
  cp "$work/package.json" "$out/"
  rm -rf "$out/dist" && cp -r "$work/dist" "$out/dist"
fi
echo "$out/dist"
