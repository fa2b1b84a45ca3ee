// SPDX-License-Identifier: MIT
/*
 * load_figs.c - cloexec-load's figures made of producers (load_figs.h): churn (2 producers
 * creating and closing fds with the flag, or without it, as fast as they can, for the whole
 * duration), procs (the same work spread over many short processes: the summary must still
 * add up), rate (the highest paced rate of records held with 0 lost, --no-stacks) and
 * footprint (the tracer's RSS and output bytes per 1M fds from one call site, and how many
 * stacks it unwound for them). Each writes its rows; bench/goals.py reads them.
 */
#define _GNU_SOURCE
#include "lab.h"
#include "load.h"
#include "load_figs.h"
#include "load_run.h"

#include <stdio.h>
#include <string.h>

#define HELD_SHARE 0.97 /* a paced run reached its target at 97% of it */

/* --- churn: fds with or without the flag, as fast as the producers can -------------------- */

static void churn_row(enum cfg c, const char *phase, const struct trial *tr,
		      const struct trial_out *o)
{
	row_begin("churn", cfg_name(c));
	out_add(",\"phase\":\"%s\",\"op\":\"%s\",\"producers\":%d,\"duration_s\":%.3f,"
		"\"end_s\":%.3f,\"fds\":%lld,\"rate_per_s\":%.1f",
		phase, op_names[tr->op], tr->producers, o->wall_s, o->end_s, o->fds,
		o->wall_s > 0 ? (double)o->fds / o->wall_s : 0);
	row_tracer(o, c);
	out_add("}");
}

void fig_churn(enum op op)
{
	/*
	 * The rates the tracer's is compared with: untraced and under the floor, three short
	 * runs each, interleaved (one disturbed run does not make the reference), then the
	 * sustained run under the tracer (and the one compared with, when given).
	 */
	double ref = (opt.duration < 10 ? opt.duration : 10) / 3;
	enum cfg cfgs[8] = {CFG_UNTRACED, CFG_FLOOR, CFG_UNTRACED, CFG_FLOOR,
			    CFG_UNTRACED, CFG_FLOOR, CFG_TRACER,   CFG_BEFORE};
	size_t n = opt.before ? 8 : 7;

	for (size_t i = 0; i < n && !stop_sig; i++) {
		int sustained = cfgs[i] >= CFG_TRACER;
		struct trial tr = {.cfg = cfgs[i],
				   .op = op,
				   .producers = opt.producers,
				   .seconds = sustained ? opt.duration : ref};
		struct trial_out o;
		char why[300];

		fprintf(stderr, "load: churn %s, %s, %d producers, %g s ...\n", op_names[op],
			cfg_name(cfgs[i]), tr.producers, tr.seconds);
		if (run_trial(&tr, &o, why, sizeof(why)) < 0) {
			fail("churn", why);
			errors++;
			continue;
		}
		churn_row(cfgs[i], sustained ? "sustained" : "reference", &tr, &o);
		fprintf(stderr, "load: churn %s, %s: %lld fds in %.1f s (%.0f/s)", op_names[op],
			cfg_name(cfgs[i]), o.fds, o.wall_s, (double)o.fds / o.wall_s);
		if (sustained)
			fprintf(stderr,
				", tracer counted %lld, lost %lld, max RSS %ld KiB, CPU %.2f s",
				o.res.sum.fds, o.res.sum.lost, o.res.ru.ru_maxrss,
				o.res.cpu_s - o.res.startup_cpu_s);
		fprintf(stderr, "\n");
	}
}

/* --- procs: the churn's work in many short processes -------------------------------------- */

void fig_procs(void)
{
	/* untraced first, half as long: the rate of processes the tracer's is compared with */
	enum cfg cfgs[3] = {CFG_UNTRACED, CFG_TRACER, CFG_BEFORE};
	int n = opt.before ? 3 : 2;

	for (int i = 0; i < n && !stop_sig; i++) {
		struct trial tr = {.cfg = cfgs[i],
				   .op = OP_DUP3_PLAIN,
				   .producers = opt.producers,
				   .seconds = i ? opt.procs_s : opt.procs_s / 2,
				   .procs = 1};
		struct trial_out o;
		char why[300];

		fprintf(stderr, "load: procs, %s, %d producers, %g s of short processes ...\n",
			cfg_name(cfgs[i]), tr.producers, tr.seconds);
		if (run_trial(&tr, &o, why, sizeof(why)) < 0) {
			fail("procs", why);
			errors++;
			continue;
		}
		row_begin("procs", cfg_name(cfgs[i]));
		out_add(
		    ",\"op\":\"half dup3_cloexec, half dup3_plain\",\"producers\":%d,"
		    "\"fds_per_process\":%d,\"processes\":%lld,\"duration_s\":%.3f,\"fds\":%lld",
		    tr.producers, PROCS_FDS, o.processes, o.wall_s, o.fds);
		row_tracer(&o, cfgs[i]);
		out_add("}");
		fprintf(stderr,
			"load: procs, %s: %lld processes, %lld fds in %.1f s, tracer counted %lld, "
			"lost %lld\n",
			cfg_name(cfgs[i]), o.processes, o.fds, o.wall_s, o.res.sum.fds,
			o.res.sum.lost);
	}
}

/* --- rate: the highest paced rate of non-atomic fds held with 0 lost ---------------------- */

/*
 * One rate run: 2 producers creating fds without the flag, paced at rate (0: as fast as they
 * can), the tracer with --no-stacks (the records' own rate). Held: the tracer lost nothing;
 * the figure is the rate achieved (the producers may not reach the target: tracing slows them,
 * and so does a busy machine). -1 when the run failed.
 */
static int rate_run(const char *phase, enum cfg c, double rate, double seconds, int *held,
		    double *achieved)
{
	struct trial tr = {.cfg = c,
			   .op = OP_DUP3_PLAIN,
			   .producers = opt.producers,
			   .seconds = seconds,
			   .rate = rate,
			   .no_stacks = 1};
	struct trial_out o;
	char why[300], tgt[32] = "max";
	int reached;

	if (run_trial(&tr, &o, why, sizeof(why)) < 0) {
		fail("rate", why);
		errors++;
		return -1;
	}
	*achieved = o.wall_s > 0 ? (double)o.fds / o.wall_s : 0;
	*held = c < CFG_TRACER || o.res.sum.lost == 0;
	reached = rate <= 0 || *achieved >= HELD_SHARE * rate;
	row_begin("rate", cfg_name(c));
	out_add(",\"phase\":\"%s\",\"op\":\"%s\",\"producers\":%d,\"target_per_s\":", phase,
		op_names[tr.op], tr.producers);
	out_add(rate > 0 ? "%.0f" : "null", rate);
	out_add(",\"duration_s\":%.3f,\"fds\":%lld,\"achieved_per_s\":%.1f,\"held\":%s,"
		"\"reached\":%s",
		o.wall_s, o.fds, *achieved, *held ? "true" : "false", reached ? "true" : "false");
	row_tracer(&o, c);
	out_add("}");
	if (rate > 0)
		snprintf(tgt, sizeof(tgt), "%.0f", rate);
	fprintf(stderr, "load: rate %-8s %-8s target %9s/s, %5.1f s: %.0f/s%s", phase, cfg_name(c),
		tgt, o.wall_s, *achieved,
		reached ? "" : " (the producers did not reach the target)");
	if (c >= CFG_TRACER)
		fprintf(stderr, ", lost %lld%s", o.res.sum.lost, *held ? "" : ": not held");
	fprintf(stderr, "\n");
	return 0;
}

/* Bisection on the paced rate below the unpaced one, to within 10%: the best rate held. */
static double rate_search(double unpaced)
{
	double lo = 0, hi = unpaced, r = unpaced / 2, got;
	int ok;

	for (int trial = 0; trial < 10 && !stop_sig && r >= 1000; trial++) {
		if (rate_run("search", CFG_TRACER, r, opt.short_s, &ok, &got) < 0)
			return -1;
		if (ok)
			lo = r;
		else
			hi = r;
		if (lo > 0 && hi / lo < 1.1)
			break;
		r = lo > 0 ? (lo + hi) / 2 : hi / 2;
	}
	return lo;
}

void fig_rate(void)
{
	double cap = 0, unpaced = 0, lo = 0, r, got = 0, best = 0;
	int held = 0, ok, lost_once = 0;

	/* what the producers create with the floor loaded, then unpaced under the tracer */
	if (rate_run("capacity", CFG_FLOOR, 0, opt.short_s, &ok, &cap) < 0 ||
	    rate_run("capacity", CFG_TRACER, 0, opt.short_s, &ok, &unpaced) < 0)
		return;
	/* nothing lost as fast as the producers can go: hold that (lo 0) for the whole time */
	if (!ok) {
		lo = rate_search(unpaced);
		if (lo < 0)
			return;
		if (lo == 0)
			goto result;
	}
	/*
	 * The best rate for the whole duration; when it loses records (a long run meets what
	 * a short one did not: a stall of the reader, a model that grows), 0.6 times it, twice
	 * at most: a lower bound in at most three long runs.
	 */
	r = lo;
	for (int retry = 0; retry < 3 && !stop_sig; retry++) {
		if (rate_run("hold", CFG_TRACER, r, opt.duration, &held, &got) < 0)
			return;
		if (held) {
			best = got;
			break;
		}
		lost_once = 1;
		if (r == 0)
			r = got; /* unpaced lost this time: pace below what it reached */
		r *= 0.6;
	}
result:
	row_begin("rate", "tracer");
	out_add(",\"phase\":\"result\",\"op\":\"%s\",\"producers\":%d,\"held_per_s\":%.0f,"
		"\"duration_s\":%.3f,\"capacity_floor_per_s\":%.0f,\"unpaced_per_s\":%.0f,"
		"\"limit\":\"%s\"}",
		op_names[OP_DUP3_PLAIN], opt.producers, best, opt.duration, cap, unpaced,
		lo == 0 && best > 0 && !lost_once ? "producers" : "lost");
	fprintf(stderr,
		"load: rate result: %.0f/s held for %g s with 0 lost (limit: %s; unpaced under the "
		"tracer %.0f/s, under the floor %.0f/s)\n",
		best, opt.duration,
		lo == 0 && best > 0 && !lost_once ? "the producers' speed under the tracer"
						  : "records lost",
		unpaced, cap);
}

/* --- footprint: RSS, output bytes and unwinds per 1M fds from one call site --------------- */

static void footprint_run(enum op op, enum cfg c)
{
	/* paced (one producer, 250k/s) so that no record is lost and every fd reaches the output */
	struct trial tr = {.cfg = c,
			   .op = op,
			   .producers = 1,
			   .seconds = 3600,
			   .max_fds = opt.fp_fds,
			   .rate = 250000,
			   .text = 1};
	struct trial_out o;
	double per;
	char why[300];

	fprintf(stderr, "load: footprint, %s, %s, %lld fds ...\n", op_names[op], cfg_name(c),
		opt.fp_fds);
	if (run_trial(&tr, &o, why, sizeof(why)) < 0) {
		fail("footprint", why);
		errors++;
		return;
	}
	per = o.fds > 0 ? 1e6 / (double)o.fds : 0;
	row_begin("footprint", cfg_name(c));
	out_add(",\"op\":\"%s\",\"fds\":%lld,\"duration_s\":%.3f,"
		"\"json_bytes_per_1m\":%.0f,\"text_bytes_per_1m\":%.0f",
		op_names[op], o.fds, o.wall_s, (double)o.res.json_bytes * per,
		(double)o.res.text_bytes * per);
	row_tracer(&o, c);
	out_add("}");
	fprintf(stderr,
		"load: footprint, %s, %s: max RSS %ld KiB, per 1M fds: JSON %.1f MB, text %.1f "
		"MB, lost %lld, stacks unwound %lld\n",
		op_names[op], cfg_name(c), o.res.ru.ru_maxrss, (double)o.res.json_bytes * per / 1e6,
		(double)o.res.text_bytes * per / 1e6, o.res.sum.lost, o.res.sum.stacks_unwound);
}

void fig_footprint(void)
{
	enum op ops[] = {OP_DUP3_CLOEXEC, OP_DUP3_PLAIN};
	enum cfg cfgs[2];
	int n = tracer_cfgs(cfgs);
	char why[300];

	for (size_t i = 0; i < 2 && !stop_sig; i++)
		for (int k = 0; k < n && !stop_sig; k++)
			footprint_run(ops[i], cfgs[k]);
	/* the floor: what a loader with one empty program holds */
	{
		struct trial tr = {.cfg = CFG_FLOOR,
				   .op = OP_DUP3_CLOEXEC,
				   .producers = 1,
				   .seconds = 1,
				   .max_fds = 1000};
		struct trial_out o;

		if (run_trial(&tr, &o, why, sizeof(why)) < 0) {
			fail("footprint", why);
			errors++;
			return;
		}
		row_begin("footprint", "floor");
		out_add(",\"op\":\"%s\",\"fds\":%lld,\"duration_s\":%.3f", op_names[tr.op], o.fds,
			o.wall_s);
		row_tracer(&o, CFG_FLOOR);
		out_add("}");
		fprintf(stderr, "load: footprint, floor loader: max RSS %ld KiB\n",
			o.res.ru.ru_maxrss);
	}
}
