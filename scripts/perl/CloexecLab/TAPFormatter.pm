# SPDX-License-Identifier: MIT
#
# CloexecLab::TAPFormatter - prove's console output, unchanged, plus a JUnit XML file of the
# same run. prove takes one --formatter: this one is the formatter prove would use anyway
# (TAP::Formatter::Console on a terminal, TAP::Formatter::File otherwise, as TAP::Harness
# chooses), so the console shows exactly what plain prove shows, serial or -j N; it also hands
# every TAP result and every end of a test file to a second formatter, TAP::Formatter::JUnit
# (Debian package libtap-formatter-junit-perl), which writes one <testsuite> per test file and
# one <testcase> per TAP test line (failures as <failure>, a non-zero exit or a wrong plan as
# <error>; the TAP itself as <system-out>).
#
#   CLOEXEC_LAB_JUNIT=build/test-results/junit.xml \
#       perl -I scripts/perl /usr/bin/prove --formatter CloexecLab::TAPFormatter --timer t/...
#
# The file is written to PATH.tmp and renamed to PATH when the run ends, so PATH is always a
# whole document of a complete run.
use strict;
use warnings;

package CloexecLab::TAPFormatter;

use TAP::Formatter::Console;
use TAP::Formatter::File;
use TAP::Formatter::JUnit;
use mro;

# Called by TAP::Harness as CLASS->new(\%args): an object of the console or the file variant.
sub new {
    my ($class, $args) = @_;
    my $tty = -t STDOUT && !$ENV{HARNESS_NOTTY};
    my $variant = $tty ? 'CloexecLab::TAPFormatter::Console' : 'CloexecLab::TAPFormatter::File';
    my $self = $variant->new($args);
    $self->_junit_open;
    return $self;
}

# Methods shared by both variants (first in their @ISA; next::method reaches the real one).
package CloexecLab::TAPFormatter::Tee;

sub _junit_open {
    my ($self) = @_;
    my $path = $ENV{CLOEXEC_LAB_JUNIT}
        or die "CloexecLab::TAPFormatter: CLOEXEC_LAB_JUNIT (the JUnit file) is not set\n";
    open(my $fh, '>:encoding(UTF-8)', "$path.tmp")
        or die "CloexecLab::TAPFormatter: failed to open $path.tmp: $!\n";
    $self->{junit_path} = $path;
    $self->{junit_fh}   = $fh;
    # Only what the JUnit side needs: timing per test line (--timer), and where to write.
    $self->{junit} = TAP::Formatter::JUnit->new(
        { timer => $self->timer ? 1 : 0, stdout => $fh, verbosity => 0 });
}

sub open_test {
    my ($self, $test, $parser) = @_;
    my $console = $self->next::method($test, $parser);
    my $junit   = $self->{junit}->open_test($test, $parser);
    return CloexecLab::TAPFormatter::Session->new($console, $junit);
}

sub summary {
    my ($self, $aggregate, $interrupted) = @_;
    $self->next::method($aggregate, $interrupted);
    return if $interrupted;    # a partial run: no file
    $self->{junit}->summary($aggregate);
    my $path = $self->{junit_path};
    close($self->{junit_fh}) && rename("$path.tmp", $path)
        or warn "CloexecLab::TAPFormatter: failed to write $path: $!\n";
}

package CloexecLab::TAPFormatter::Console;
our @ISA = ('CloexecLab::TAPFormatter::Tee', 'TAP::Formatter::Console');

package CloexecLab::TAPFormatter::File;
our @ISA = ('CloexecLab::TAPFormatter::Tee', 'TAP::Formatter::File');

# A session that forwards what the harness calls (result, close_test) to both sessions.
package CloexecLab::TAPFormatter::Session;

sub new {
    my ($class, @sessions) = @_;
    return bless { sessions => \@sessions }, $class;
}

sub result {
    my ($self, $result) = @_;
    $_->result($result) for @{ $self->{sessions} };
    return;
}

sub close_test {
    my ($self, @args) = @_;
    $_->close_test(@args) for @{ $self->{sessions} };
    return;
}

1;
