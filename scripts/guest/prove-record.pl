#!/usr/bin/perl
# SPDX-License-Identifier: MIT
#
# prove-record.pl OUTDIR - run the tests listed in OUTDIR/tests.list (one path a line) under
# TAP::Harness, prove's own engine, with the console output of `prove --timer --exec ''`; keep
# each test's raw TAP under OUTDIR/tap/ and write one line per finished test to
# OUTDIR/results.tsv (appended as each test ends, so a guest that hangs still leaves what it did):
#
#   NAME  pass|fail|skip  PLANNED  RUN  FAILED  MS  REASON
#
# REASON is the skip_all reason, or for a failure the failed test numbers and the exit status.
# OUTDIR/done is written when every test has run. Exit status: 0 all passed, 1 otherwise.
use strict;
use warnings;
use File::Basename qw(basename);
use IO::Handle;
use TAP::Harness;

my $out = shift @ARGV or die "usage: prove-record.pl OUTDIR\n";
open(my $lf, '<', "$out/tests.list") or die "prove-record: failed to open $out/tests.list: $!\n";
chomp(my @tests = grep { /\S/ } <$lf>);
close($lf);
die "prove-record: no tests in $out/tests.list\n" unless @tests;

# TAP::Harness spools every test's raw TAP into this directory (under the test's own path).
$ENV{PERL_TEST_HARNESS_DUMP_TAP} = "$out/tap";
open(my $res, '>', "$out/results.tsv") or die "prove-record: failed to open results: $!\n";
$res->autoflush(1);

sub clean { my $s = shift // ''; $s =~ s/[\t\r\n]+/ /g; return $s; }

my $harness = TAP::Harness->new({ exec => [], timer => 1, verbosity => 0, merge => 0 });
$harness->callback(
	after_test => sub {
		my ($job, $parser) = @_;
		my $name = basename($job->[0]);
		$name =~ s/\.(sh|pl|py)$//;
		my ($status, $reason) = ('pass', '');
		my $ms = int((($parser->end_time // 0) - ($parser->start_time // 0)) * 1000);
		if (defined $parser->skip_all) {
			($status, $reason) = ('skip', $parser->skip_all);
		} elsif ($parser->has_problems) {
			my @why;
			push @why, 'failed ' . join(',', $parser->failed) if $parser->failed;
			push @why, 'planned ' . ($parser->tests_planned // 'none') . ' ran '
			  . $parser->tests_run if !$parser->is_good_plan;
			push @why, 'exit ' . $parser->exit if $parser->exit;
			push @why, 'wait ' . $parser->wait if $parser->wait && !$parser->exit;
			push @why, 'parse errors: ' . join('; ', $parser->parse_errors)
			  if $parser->parse_errors;
			($status, $reason) = ('fail', join('; ', @why));
		}
		printf $res "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", $name, $status,
		  $parser->tests_planned // 0, $parser->tests_run, scalar($parser->failed), $ms,
		  clean($reason);
	});
my $agg = $harness->runtests(@tests);
close($res);
my $done;
open($done, '>', "$out/done") and close($done);
exit($agg->all_passed ? 0 : 1);
