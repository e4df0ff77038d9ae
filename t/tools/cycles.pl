#!/usr/bin/perl
# Finds call and include cycles among the files of one folder.
#
#   t/tools/cycles.pl [-v] [-c] DIR [OBJDIR]      (-c: calls only)
#
# Calls: file A calls file B when A's object leaves undefined a symbol that
# B's object defines (nm), so a call through a macro or an inline is seen
# as the compiler left it.  Includes: A includes B when A.c or A.h has
# #include "B.h".  Each strongly connected set of more than one file is a
# cycle; every one is printed with the edges that make it, and the exit
# status is 1 if there is any.
use strict;
use warnings;
use File::Basename qw(basename);

my ($verbose, $calls_only) = (0, 0);
while (@ARGV && $ARGV[0] =~ /^-[vc]$/) {
    my $o = shift;
    $verbose = 1 if $o eq '-v';
    $calls_only = 1 if $o eq '-c';
}
my $dir = shift or die "usage: $0 [-v] [-c] DIR [OBJDIR]\n";
my $objdir = shift // "objs/$dir";
$dir =~ s{/$}{};

my (%defines, %needs, %edges, %why);
my @files = map { basename($_, '.c') } glob("$dir/*.c");
for my $f (@files) {
    my $o = "$objdir/$f.o";
    die "$o: not built (run make)\n" unless -f $o;
    for (`nm -g $o`) {
        if (/^\s*[0-9a-f]*\s+([TDBR])\s+(\S+)/) {
            $defines{$2} = $f;
        } elsif (/^\s+U\s+(\S+)/) {
            push @{ $needs{$f} }, $1;
        }
    }
}
for my $f (@files) {
    for my $sym (@{ $needs{$f} || [] }) {
        my $g = $defines{$sym} // next;
        next if $g eq $f;
        $edges{$f}{$g} = 1;
        push @{ $why{"$f $g"} }, "calls $sym()";
    }
}
for my $f ($calls_only ? () : map { basename($_) } glob("$dir/*.c"), glob("$dir/*.h")) {
    (my $from = $f) =~ s/\.[ch]$//;
    open my $fh, '<', "$dir/$f" or next;
    while (<$fh>) {
        next unless /^\s*#\s*include\s+"([^"\/]+)\.h"/;
        my $to = $1;
        next if $to eq $from || !-e "$dir/$to.h";
        $edges{$from}{$to} = 1;
        push @{ $why{"$from $to"} }, "includes $to.h";
    }
}

# Tarjan's strongly connected components.
my ($index, @stack, %on, %idx, %low, @sccs) = (0);
my %nodes = map { $_ => 1 } @files, keys %edges, map { keys %$_ } values %edges;
sub visit {
    my ($v) = @_;
    $idx{$v} = $low{$v} = $index++;
    push @stack, $v;
    $on{$v} = 1;
    for my $w (sort keys %{ $edges{$v} || {} }) {
        if (!exists $idx{$w}) {
            visit($w);
            $low{$v} = $low{$w} if $low{$w} < $low{$v};
        } elsif ($on{$w}) {
            $low{$v} = $idx{$w} if $idx{$w} < $low{$v};
        }
    }
    if ($low{$v} == $idx{$v}) {
        my @c;
        while (1) {
            my $w = pop @stack;
            $on{$w} = 0;
            push @c, $w;
            last if $w eq $v;
        }
        push @sccs, [sort @c] if @c > 1;
    }
}
visit($_) for grep { !exists $idx{$_} } sort keys %nodes;

for my $c (@sccs) {
    my %in = map { $_ => 1 } @$c;
    print "$dir: cycle among " . join(', ', @$c) . "\n";
    for my $a (@$c) {
        for my $b (sort keys %{ $edges{$a} || {} }) {
            next unless $in{$b};
            my @w = @{ $why{"$a $b"} };
            my $more = @w > 3 && !$verbose ? ' ...' : '';
            @w = @w[0 .. 2] if !$verbose && @w > 3;
            print "  $a -> $b: " . join(', ', @w) . "$more\n";
        }
    }
}
exit(@sccs ? 1 : 0);
