#!/usr/bin/perl
# An SMSC for the `uicc-ota send smpp` tests, on Debian's Net::SMPP
# (libnet-smpp-perl): an SMPP 3.4 implementation that is not ours.
# Listens on 127.0.0.1 (free port, printed as "PORT n"), takes one ESME,
# checks the bind and every submit_sm field an OTA SMS needs, answers with the
# statuses asked for, then (--enquire) sends an enquire_link, then each --por
# (hex user data) as a deliver_sm.
# Prints what it saw, one line per event; "FAIL ..." lines are check failures.
use strict;
use warnings;
use Net::SMPP;
use Getopt::Long;

my %o = (system_id => 'lab', password => 'secret', bind_status => 0, submit_status => 0, close => '',
         dest => '', source => '', pid => 0x7F, dcs => 0xF6, expect => [], por => [], enquire => 0);
GetOptions(\%o, 'system_id=s', 'password=s', 'bind_status=i', 'submit_status=i', 'close=s',
           'dest=s', 'source=s', 'pid=i', 'dcs=i', 'expect=s@', 'por=s@', 'enquire') or die "bad options\n";
$| = 1;
alarm 60;
my $listen = Net::SMPP->new_listen('127.0.0.1', port => 0, timeout => 30) or die "listen: $!\n";
print "PORT ", $listen->sockport, "\n";
my $c = $listen->accept or die "accept: $!\n";

my $bind = $c->read_pdu() or die "no PDU\n";
print "FAIL expected bind_transceiver, got command_id $bind->{cmd}\n" if $bind->{cmd} != 0x00000009;
my $st = $o{bind_status};
$st ||= 0x0F if $bind->{system_id} ne $o{system_id};   # ESME_RINVSYSID
$st ||= 0x0E if $bind->{password} ne $o{password};     # ESME_RINVPASWD
print "BIND system_id=$bind->{system_id} status=$st\n";
$c->bind_transceiver_resp(seq => $bind->{seq}, status => $st, system_id => 'perl-smsc');
if ($st) { sleep 1; exit 0 }
if ($o{close} eq 'after-bind') { close $c; print "CLOSED\n"; exit 0 }

my $n = 0;
for my $want (@{$o{expect}}) {
  my $p = $c->read_pdu() or die "connection lost before submit_sm\n";
  if ($p->{cmd} != 0x00000004) { print "FAIL expected submit_sm, got command_id $p->{cmd}\n"; next }
  my $ud = uc unpack('H*', $p->{short_message});
  print "SUBMIT esm_class=$p->{esm_class} protocol_id=$p->{protocol_id} data_coding=$p->{data_coding}",
        " dest=$p->{dest_addr_ton}/$p->{dest_addr_npi}/$p->{destination_addr} source=$p->{source_addr}",
        " registered_delivery=$p->{registered_delivery} ud=$ud\n";
  print "FAIL esm_class $p->{esm_class} lacks UDHI (0x40)\n" unless $p->{esm_class} & 0x40;
  print "FAIL protocol_id $p->{protocol_id}\n" if $p->{protocol_id} != $o{pid};
  print "FAIL data_coding $p->{data_coding}\n" if $p->{data_coding} != $o{dcs};
  print "FAIL destination_addr $p->{destination_addr}\n" if $o{dest} ne '' && $p->{destination_addr} ne $o{dest};
  print "FAIL short_message $ud, expected $want\n" if uc($want) ne $ud;
  $c->submit_sm_resp(seq => $p->{seq}, status => $o{submit_status}, message_id => 'perl' . ++$n);
}
if ($o{submit_status}) { sleep 1; exit 0 }
if ($o{close} eq 'after-submit') { close $c; print "CLOSED\n"; exit 0 }
if ($o{close} eq 'unbind') {
  # The SMSC ends the session itself (SMPP 3.4 cl. 4.2): unbind, then the ESME's unbind_resp.
  my $seq = $c->unbind(async => 1);
  my $r = $c->read_pdu() or die "connection lost before unbind_resp\n";
  print $r->{cmd} == 0x80000006 && $r->{seq} == $seq ? "UNBIND_RESP status=$r->{status}\n" : "FAIL expected unbind_resp, got command_id $r->{cmd}\n";
  close $c;
  exit 0;
}

# --enquire: an enquire_link to the ESME while it waits for the PoR (SMPP 3.4 cl. 4.11).
if ($o{enquire}) {
  my $seq = $c->enquire_link(async => 1);
  while (1) {
    my $r = $c->read_pdu() or die "connection lost before enquire_link_resp\n";
    if ($r->{cmd} == 0x80000015 && $r->{seq} == $seq) { print "ENQUIRE_LINK_RESP status=$r->{status}\n"; last }
    print "OTHER command_id $r->{cmd}\n";
  }
}
for my $por (@{$o{por}}) {
  my $seq = $c->deliver_sm(source_addr_ton => 1, source_addr_npi => 1, source_addr => $o{dest},
                           dest_addr_ton => 0, dest_addr_npi => 1, destination_addr => $o{source},
                           esm_class => 0x40, protocol_id => 0x7F, data_coding => 0xF6,
                           short_message => pack('H*', $por), async => 1);
  while (1) {
    my $r = $c->read_pdu() or die "connection lost before deliver_sm_resp\n";
    if ($r->{cmd} == 0x80000005 && $r->{seq} == $seq) { print "DELIVER_RESP status=$r->{status}\n"; last }
    print "OTHER command_id $r->{cmd}\n";
  }
}
# The ESME ends with unbind.
while (my $p = $c->read_pdu()) {
  if ($p->{cmd} == 0x00000006) { $c->unbind_resp(seq => $p->{seq}); print "UNBIND\n"; last }
  print "OTHER command_id $p->{cmd}\n";
}
exit 0;
