#!/usr/bin/env python3
"""Run a command and write, to the file named first, its wall time (ms, from
fork to wait), user and system CPU seconds and peak RSS (kB) as wait4(2)
reports them, to the microsecond. GNU time prints CPU seconds to 10 ms only,
which is a tenth of a 20,000-packet run on this machine. Exits with the
command's exit status. Used by bench/bench.ts when python3 is present."""
import os
import subprocess
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
child = subprocess.Popen(cmd)
_, status, ru = os.wait4(child.pid, 0)
wall_ms = (time.perf_counter() - start) * 1000
with open(out, 'w') as f:
    f.write(f'{wall_ms:.3f} {ru.ru_utime:.6f} {ru.ru_stime:.6f} {ru.ru_maxrss}\n')
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
