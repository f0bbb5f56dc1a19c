# tests/e2e/ptyrun.py KEYS CMD... — runs CMD on a new pseudo-terminal (an interactive
# busybox sh), types a command and waits for its echo, types KEYS (Python escapes:
# "\\x10\\x11" for ctrl-p ctrl-q) and prints "echoed" and "exit N" once CMD has ended.
# For the detach-keys checks of run_options.sh.
import os, pty, sys, time, select
keys = sys.argv[1].encode().decode('unicode_escape').encode('latin-1')
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
buf = b''
def until(pat, t=15):
    global buf
    end = time.time() + t
    while pat not in buf and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return False
            if not d:
                return False
            buf += d
    return pat in buf
until(b'# ')
os.write(fd, b'echo typed-$((40+2))\r')
print('echoed' if until(b'typed-42') else 'no-echo')
os.write(fd, keys)
until(b'never-printed', 10)
_, st = os.waitpid(pid, 0)
print('exit', os.waitstatus_to_exitcode(st))
