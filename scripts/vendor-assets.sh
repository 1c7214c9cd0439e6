#!/bin/sh
# Copy the front-end files the portal serves from node_modules/ (installed by `npm ci` from
# package-lock.json) into static/vendor/. static/vendor/ is not committed; `make assets` rebuilds it.
# The source maps are copied too: the production static storage (ManifestStaticFilesStorage)
# follows every sourceMappingURL and refuses to collect a file whose map is missing.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NM="$ROOT/node_modules"
OUT="$ROOT/static/vendor"

for package in bootstrap bootstrap-icons htmx.org echarts; do
    if [ ! -d "$NM/$package" ]; then
        echo "vendor-assets: $NM/$package is missing; run 'npm ci' first" >&2
        exit 1
    fi
done

rm -rf "$OUT"
mkdir -p "$OUT/bootstrap" "$OUT/bootstrap-icons/fonts" "$OUT/licenses"

cp "$NM/bootstrap/dist/css/bootstrap.min.css" "$NM/bootstrap/dist/css/bootstrap.min.css.map" \
   "$NM/bootstrap/dist/js/bootstrap.bundle.min.js" "$NM/bootstrap/dist/js/bootstrap.bundle.min.js.map" \
   "$OUT/bootstrap/"
cp "$NM/bootstrap-icons/font/bootstrap-icons.min.css" "$OUT/bootstrap-icons/"
cp "$NM/bootstrap-icons/font/fonts/bootstrap-icons.woff2" "$NM/bootstrap-icons/font/fonts/bootstrap-icons.woff" \
   "$OUT/bootstrap-icons/fonts/"
# Scripts sit at the top: base.html loads static/vendor/htmx.min.js, dashboards echarts.min.js.
cp "$NM/htmx.org/dist/htmx.min.js" "$NM/echarts/dist/echarts.min.js" "$OUT/"
for package in bootstrap bootstrap-icons htmx.org echarts; do
    cp "$NM/$package/LICENSE" "$OUT/licenses/$package.LICENSE"
done

echo "vendor-assets: copied into $OUT"
