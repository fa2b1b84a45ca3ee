/* SPDX-License-Identifier: MIT */
/*
 * report_lib.h - the report_* tests' library (code in report_lib.c of the test library): find
 * the source tree (the results scripts), count and test files, pick a small benchmark filter
 * from the real cloexec-bench's list, run the smoke benchmark, read the report's findings.
 * Running a command under a time limit, counting lines and removing a tree are tlib.h's.
 */
#ifndef CLOEXEC_LAB_REPORT_LIB_H
#define CLOEXEC_LAB_REPORT_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "tap.h"
#include "tlib.h"

#define PYTHON "/usr/bin/python3"

/* The source tree: the directory holding results/report.py (cwd, else above the build). */
const char *rc_src_dir(void);
/* How often needle occurs in hay. */
int rc_count(const char *hay, const char *needle);
/* Whether path is a non-empty regular file. */
int rc_exists(const char *path);
/* Path of the built cloexec-bench; bails when it is missing (a build failure, not a skip). */
const char *rc_bench_path(void);
/*
 * A filter regex for a short smoke run, chosen from what the binary lists (so it
 * follows the benchmarks, whatever their names): the `plain` groups with the fewest
 * benchmarks that have >= 2 variants, plus, when want_scaling, the smallest group
 * that varies a numeric argument (the spawn-vs-fd-count kind). Env
 * CLOEXEC_LAB_REPORT_FILTER overrides. Returns 0, or -1 when nothing fits.
 */
int rc_pick_filter(const char *bench, const char *tmpdir, int plain, int want_scaling, char *filter,
		   size_t len);
/*
 * The start the report tests share: results/script_name in the source tree (else bail) into
 * script, SKIP without python3, the built cloexec-bench (else bail), the scratch directory
 * from the template tmp (removed at exit), and a smoke filter (rc_pick_filter with plain and
 * scaling) into filter, noted. Returns the path of cloexec-bench.
 */
const char *rc_begin(const char *script_name, char *script, size_t slen, char *tmp, int plain,
		     int scaling, char *filter, size_t flen);
/* A smoke run of the real benchmark binary: JSON with per-repetition rows; tlab_run's result. */
int rc_smoke(const char *bench, const char *filter, int reps, const char *min_time,
	     const char *out_json, const char *err);
/*
 * The text of the finding labelled label ("- **label:** text" in report.md's Findings section)
 * into buf; 0, or -1 (buf "") when the report has no such finding.
 */
int rc_finding(const char *md, const char *label, char *buf, size_t len);
/* Four checks: Findings is report.md's first section, before any table or chart, so is the
 * findings <section> in report.html, and the machine table is the last section. */
void rc_check_findings_first(const char *md, const char *page, const char *what);

#endif
