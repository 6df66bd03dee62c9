#!/usr/bin/perl
# An ESME for the `uicc-ota smsc` tests, on Debian's Net::SMPP
# (libnet-smpp-perl): an SMPP 3.4 implementation that is not ours.
# Binds as transceiver, submits each --ud (hex user data with its UDH) as a
# submit_sm (UDHI, PID 7F, DCS F6), then reads --want deliver_sm and prints
# each (fields and user data in hex), answers it, and unbinds.
use strict;
use warnings;
use Net::SMPP;
use Getopt::Long;

my %o = (port => 0, system_id => 'lab', password => 'secret', want => 1, ud => [], dest => '491700000', source => '12345');
GetOptions(\%o, 'port=i', 'system_id=s', 'password=s', 'want=i', 'ud=s@', 'dest=s', 'source=s') or die "bad options\n";
$| = 1;
alarm 60;
my ($s, $resp) = Net::SMPP->new_transceiver('127.0.0.1', port => $o{port}, system_id => $o{system_id},
                                            password => $o{password}, timeout => 10);
die "connect: $!\n" unless $s;
print "BIND status=$resp->{status}\n";
exit 0 if $resp->{status};
for my $ud (@{$o{ud}}) {
  my $r = $s->submit_sm(source_addr_ton => 0, source_addr_npi => 1, source_addr => $o{source},
                        dest_addr_ton => 1, dest_addr_npi => 1, destination_addr => $o{dest},
                        esm_class => 0x40, protocol_id => 0x7F, data_coding => 0xF6,
                        short_message => pack('H*', $ud));
  die "no submit_sm_resp\n" unless $r;
  print "SUBMIT_RESP status=$r->{status} message_id=$r->{message_id}\n";
}
my $n = 0;
while ($n < $o{want}) {
  my $p = $s->read_pdu() or die "connection lost\n";
  if ($p->{cmd} == 0x00000005) {
    print "DELIVER esm_class=$p->{esm_class} protocol_id=$p->{protocol_id} data_coding=$p->{data_coding}",
          " source=$p->{source_addr_ton}/$p->{source_addr_npi}/$p->{source_addr}",
          " dest=$p->{dest_addr_ton}/$p->{dest_addr_npi}/$p->{destination_addr}",
          " ud=", uc unpack('H*', $p->{short_message}), "\n";
    $s->deliver_sm_resp(seq => $p->{seq}, message_id => '');
    $n++;
  } elsif ($p->{cmd} == 0x00000015) {
    $s->enquire_link_resp(seq => $p->{seq});
  } else {
    print "OTHER command_id $p->{cmd}\n";
  }
}
my $e = $s->enquire_link();
print "ENQUIRE_LINK_RESP status=$e->{status}\n";
my $u = $s->unbind();
print "UNBIND_RESP status=$u->{status}\n";
exit 0;
