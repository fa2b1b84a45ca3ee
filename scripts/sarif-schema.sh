#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# sarif-schema.sh DIR - the SARIF 2.1.0 JSON schema the tests validate --sarif logs against, as
# DIR/sarif-2.1.0.json (fetched once, then reused while its checksum holds).
#
# Source: the npm registry, package @microsoft/sarif-multitool-linux (the SARIF SDK's multitool,
# licence MIT), which ships the schema as sarif-2.1.0.json. `npm pack` fetches the tarball and
# checks it against the registry's integrity hash; only the schema file is kept (nothing is
# installed, nothing is vendored into the tree), and its sha256 is pinned here so that a changed
# schema is looked at before the tests trust it. The package is ~43 MB; npm's cache keeps it.
# Exit 0: the schema is there; 4: it could not be fetched (no npm, no registry: tests SKIP).
set -u
PKG=@microsoft/sarif-multitool-linux
VER=5.7.0
SHA256=1c49a0f2b60444c71bb14878e21e0d882198eff4c539861b133093ad89ed798c

dir=${1:?usage: sarif-schema.sh DIR}
out=$dir/sarif-2.1.0.json
mkdir -p "$dir" || exit 4
if [ -f "$out" ] && echo "$SHA256  $out" | sha256sum -c --status; then
	exit 0
fi
if ! command -v npm >/dev/null; then
	echo "sarif-schema: failed to find npm (scripts/deps.sh installs it)" >&2
	exit 4
fi
tmp=$(mktemp -d "$dir/.pack.XXXXXX") || exit 4
trap 'rm -rf "$tmp"' EXIT
if ! timeout 600 npm pack --silent --pack-destination "$tmp" "$PKG@$VER" >"$tmp/log" 2>&1; then
	echo "sarif-schema: failed to fetch $PKG@$VER from the npm registry: $(tail -1 "$tmp/log")" >&2
	exit 4
fi
if ! tar -xzf "$tmp"/*.tgz -C "$tmp" package/sarif-2.1.0.json package/package.json; then
	echo "sarif-schema: $PKG@$VER has no package/sarif-2.1.0.json" >&2
	exit 4
fi
if ! echo "$SHA256  $tmp/package/sarif-2.1.0.json" | sha256sum -c --status; then
	echo "sarif-schema: $PKG@$VER's sarif-2.1.0.json is not the one pinned (sha256 $SHA256)" >&2
	exit 4
fi
mv "$tmp/package/sarif-2.1.0.json" "$out.tmp" && mv "$out.tmp" "$out" || exit 4
echo "$PKG@$VER package/sarif-2.1.0.json, licence $(sed -n 's/.*"license": *"\([^"]*\)".*/\1/p' \
	"$tmp/package/package.json"), sha256 $SHA256" >"$dir/sarif-2.1.0.json.source"
exit 0
