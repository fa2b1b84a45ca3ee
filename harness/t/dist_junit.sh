#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# dist_junit.sh - scripts/run-tests.sh writes the run as JUnit XML and leaves prove's console
# output as it was. A run of four small TAP programs (passing, failing, skipped, one that exits
# 3 after passing) must give, serially and with -j 2: the same console lines and exit code as a
# plain prove, and a JUnit file that parses as XML with one <testsuite> per test file, the
# failing line as a <failure> and the bad exit as an <error>.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
top=$(cd "$here/../.." && pwd)

perl -MTAP::Formatter::JUnit -e 1 2>/dev/null ||
	skip_all "TAP::Formatter::JUnit is missing (apt-get install libtap-formatter-junit-perl, or make deps)"
tmp=$(mktemp -d /tmp/cloexec-dist-junit.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/t"
printf '#!/bin/sh\necho 1..2\necho "ok 1 - first"\necho "ok 2 - second"\n' >"$tmp/t/pass.sh"
printf '#!/bin/sh\necho 1..2\necho "ok 1 - first"\necho "not ok 2 - b & <c>"\n' >"$tmp/t/fail.sh"
printf '#!/bin/sh\necho "1..0 # SKIP no reason to run"\n' >"$tmp/t/skip.sh"
printf '#!/bin/sh\necho 1..1\necho "ok 1 - first"\nexit 3\n' >"$tmp/t/crash.sh"
chmod +x "$tmp"/t/*.sh

# prove's lines without what changes from run to run (clock, times, order of parallel output).
normal() { sed -E 's/^\[[0-9:]+\] ?//; s/ +[0-9]+ ms.*//; s/[0-9]+ wallclock.*//' "$1" | grep -v '^run-tests: JUnit' | sort; }

for jobs in 1 2; do
	(cd "$tmp" && bash "$top/scripts/run-tests.sh" "$tmp" $jobs t/pass.sh t/fail.sh t/skip.sh \
		t/crash.sh) >"$tmp/ours.$jobs" 2>&1
	rc_ours=$?
	(cd "$tmp" && HARNESS_NOTTY=1 prove --timer -j $jobs --exec '' t/pass.sh t/fail.sh t/skip.sh \
		t/crash.sh </dev/null) >"$tmp/plain.$jobs" 2>&1
	rc_plain=$?
	is "$rc_ours" "$rc_plain" "-j $jobs: run-tests.sh exits as plain prove does ($rc_plain)"
	is "$(diff <(normal "$tmp/plain.$jobs") <(normal "$tmp/ours.$jobs"))" "" \
		"-j $jobs: the console shows what plain prove shows (summary, failures, skips)"
	xml=$tmp/test-results/junit.xml
	report=$(python3 - "$xml" <<'EOF' 2>&1
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
for s in sorted(root.findall("testsuite"), key=lambda s: s.get("name")):
    cases = [c for c in s.findall("testcase") if not c.get("name").startswith("(")]
    marks = ",".join(sorted({e.tag for c in cases for e in c}))
    print("%s tests=%s failures=%s errors=%s cases=%d marked=%s%s" % (
        s.get("name"), s.get("tests"), s.get("failures"), s.get("errors"), len(cases),
        marks or "-", " suite-error" if s.find("error") is not None else ""))
EOF
)
	is "$report" "crash_sh tests=1 failures=0 errors=1 cases=1 marked=- suite-error
fail_sh tests=2 failures=1 errors=0 cases=2 marked=failure
pass_sh tests=2 failures=0 errors=0 cases=2 marked=-
skip_sh tests=0 failures=0 errors=0 cases=0 marked=-" \
		"-j $jobs: junit.xml is XML with one testsuite per test file, the failure and the bad exit marked"
	rm -f "$xml"
done
(cd "$tmp" && bash "$top/scripts/run-tests.sh" "$tmp" 1 t/fail.sh) >/dev/null 2>&1
grep -q 'name="2 - b &amp; &lt;c&gt;"' "$tmp/test-results/junit.xml"
ok $? "test names are escaped in the XML (b & <c>)"
done_testing
